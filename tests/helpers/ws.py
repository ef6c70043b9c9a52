"""Talking to a test app over its WebSocket, as a client does: frames in, frames out."""

from __future__ import annotations

import asyncio
import base64
import itertools
import os
from typing import Any

import orjson
from aiohttp import ClientWebSocketResponse, WSMsgType
from multidict import CIMultiDictProxy

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
        loop = asyncio.get_running_loop()
        self.closed: asyncio.Future[tuple[int | None, str]] = loop.create_future()
        """The server's close code and reason, once it has closed the socket."""
        self._reader = loop.create_task(self._read())

    async def _read(self) -> None:
        reason = ""
        while True:
            message = await self.ws.receive()
            if message.type is WSMsgType.CLOSE:
                reason = message.extra or ""
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
            self.closed.set_result((self.ws.close_code, reason))

    def _answer(self, key: Any, frame: Any) -> None:
        future = self._answers.pop(key, None)
        if future is not None and not future.done():
            future.set_result(frame)

    async def request(self, payload: Any, key: Any) -> Any:
        """Send a raw frame and wait for the answer keyed ``key`` (an id, or a batch's ids)."""
        future = asyncio.get_running_loop().create_future()
        self._answers[key] = future
        body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
        await self.ws.send_bytes(body)
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

    async def error(self, method: str, params: Any = None) -> dict[str, Any]:
        """Call and return the error object, failing the test on success."""
        response = await self.call(method, params)
        assert "error" in response, response
        error: dict[str, Any] = response["error"]
        return error

    async def notification(self) -> dict[str, Any]:
        """The next notification's params."""
        return await asyncio.wait_for(self.notifications.get(), WAIT_S)

    async def close_code(self) -> int | None:
        """Wait for the server to close the socket; its close code."""
        code, _ = await asyncio.wait_for(asyncio.shield(self.closed), WAIT_S)
        return code

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()


async def connect(client: Client, **kwargs: Any) -> Socket:
    ws = await client.ws_connect("/rpc", **kwargs)
    return Socket(ws)


def handshake_headers(**headers: str) -> dict[str, str]:
    """The headers of a WebSocket upgrade request (RFC 6455), plus ``headers``."""
    return {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        **headers,
    }


async def upgrade(
    client: Client, path: str = "/rpc", **headers: str
) -> tuple[int, CIMultiDictProxy[str], Any]:
    """Ask to upgrade with a plain GET: the status, headers and decoded body of a refusal
    (``ws_connect`` would only raise, without the body)."""
    response = await client.get(path, headers=handshake_headers(**headers))
    if response.status == 101:
        response.close()
        return response.status, response.headers, None
    raw = await response.read()
    return response.status, response.headers, (orjson.loads(raw) if raw else None)
