"""Reading an event stream (``text/event-stream``) as a client does: event by event."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import ClientResponse

from tests.helpers.rpc import Client
from tests.helpers.ws import WAIT_S

STREAM_HEADERS = {"Content-Type": "application/json", "Accept": "text/event-stream"}


@dataclass
class Event:
    data: Any
    """The ``data:`` line, decoded."""
    id: str | None = None


@dataclass
class EventStream:
    response: ClientResponse
    comments: list[str] = field(default_factory=list)
    """Comment lines (``: ping``) seen so far, without their colon."""

    async def event(self) -> Event | None:
        """The next event, or None at the end of the stream."""
        async with asyncio.timeout(WAIT_S):
            return await self._event()

    async def _event(self) -> Event | None:
        fields: dict[str, str] = {}
        while line := await self.response.content.readline():
            text = line.decode().rstrip("\n")
            if not text:
                if "data" in fields:
                    return Event(orjson.loads(fields["data"]), fields.get("id"))
                continue
            name, _, value = text.partition(":")
            if not name:
                self.comments.append(value.strip())
            else:
                fields[name] = value.removeprefix(" ")
        return None

    async def notification(self) -> tuple[str | None, dict[str, Any]]:
        """The next event, which must be a notification: its id and params."""
        event = await self.event()
        assert event is not None, "the stream ended"
        assert event.data["method"] == "rpc.subscription", event.data
        params: dict[str, Any] = event.data["params"]
        return event.id, params

    def close(self) -> None:
        self.response.close()


async def open_stream(client: Client, payload: Any, **headers: str) -> EventStream:
    """POST ``payload`` asking for an event stream; the stream (its response's status 200)."""
    response = await client.post(
        "/rpc", data=orjson.dumps(payload), headers={**STREAM_HEADERS, **headers}
    )
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"] == "text/event-stream", response.headers
    return EventStream(response)


def subscribe(params: Any = None, id: Any = 1) -> dict[str, Any]:
    request: dict[str, Any] = {"jsonrpc": "2.0", "method": "tasks.subscribe", "id": id}
    if params is not None:
        request["params"] = params
    return request
