"""Talking to a test app over its WebSocket, as a client does: frames in, frames out."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import orjson
from aiohttp import ClientWebSocketResponse, WSMsgType

from tests.helpers.rpc import Client

NOTIFICATION = "rpc.subscription"
WAIT_S = 5.0
"""How long a test waits for a frame it expects: a bound on a hang, never a pass condition."""


class Socket:
    """One WebSocket session: calls answered in order, notifications kept as they come."""

    def __init__(self, ws: ClientWebSocketResponse) -> None:
        self.ws = ws
        self.notifications: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._answers: dict[Any, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)
        self._reader = asyncio.get_running_loop().create_task(self._read())
        self.closed: asyncio.Future[tuple[int | None, str]] = (
            asyncio.get_running_loop().create_future()
        )

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type is not WSMsgType.TEXT:
                break
            frame = orjson.loads(message.data)
            if isinstance(frame, dict) and frame.get("method") == NOTIFICATION:
                self.notifications.put_nowait(frame["params"])
            elif isinstance(frame, list):
                key = tuple(sorted(str(item.get("id")) for item in frame))
                self._answer(key, frame)
            else:
                self._answer(frame.get("id"), frame)
        if not self.closed.done():
            self.closed.set_result((self.ws.close_code, str(self.ws.extra or "")))

    def _answer(self, key: Any, frame: Any) -> None:
        future = self._answers.pop(key, None)
        if future is not None and not future.done():
            future.set_result(frame)

    async def request(self, payload: Any, key: Any) -> Any:
        """Send a raw frame and wait for the answer keyed ``key`` (an id, or a batch's ids)."""
        future = asyncio.get_running_loop().create_future()
        self._answers[key] = future
        await self.ws.send_bytes(orjson.dumps(payload))
        return await asyncio.wait_for(future, WAIT_S)

    async def call(self, method: str, params: Any = None) -> Any:
        """One request; the whole response object."""
        id_ = next(self._ids)
        request: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": id_}
        if params is not None:
            request["params"] = params
        return await self.request(request, id_)

    async def result(self, method: str, params: Any = None) -> Any:
        response = await self.call(method, params)
        assert "error" not in response, response
        return response["result"]

    async def notification(self) -> dict[str, Any]:
        """The next notification's params."""
        return await asyncio.wait_for(self.notifications.get(), WAIT_S)

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()


async def connect(client: Client, **kwargs: Any) -> Socket:
    ws = await client.ws_connect("/rpc", **kwargs)
    return Socket(ws)
