"""WebSocket subscribers in one event loop: each socket holds one ``tasks.subscribe``, and
every notification is logged with its arrival time, to be checked and timed afterwards."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Literal

import aiohttp
import orjson
from aiohttp import WSMsgType

WAIT_S = 120
"""Longest wait for a phase's notifications: a bound on a hang."""
DEFLATE = 15
"""The window bits a browser's permessage-deflate offer asks for."""
SUBSCRIBE = b'{"jsonrpc":"2.0","method":"tasks.subscribe","id":1}'
Socket = aiohttp.ClientWebSocketResponse[Literal[False]]
"""A client socket whose text frames arrive as bytes (no decoding: cheaper to receive)."""


class Subscribers:
    """Sockets each holding one ``tasks.subscribe``; every notification logged on arrival."""

    def __init__(self) -> None:
        self.sockets: list[Socket] = []
        self.arrivals: list[tuple[float, bytes]] = []
        self.expected = 0
        self.complete = asyncio.Event()
        self._readers: list[asyncio.Task[None]] = []

    async def open(self, http: aiohttp.ClientSession, url: str, count: int, deflate: bool) -> None:
        opening = asyncio.Semaphore(64)

        async def one() -> Socket:
            async with opening:
                ws = await http.ws_connect(url, decode_text=False, compress=DEFLATE * deflate)
                await ws.send_bytes(SUBSCRIBE)
                answer = orjson.loads((await ws.receive()).data)  # nothing is published yet
                if "result" not in answer:
                    raise RuntimeError(f"tasks.subscribe failed: {answer}")
                return ws

        self.sockets = list(await asyncio.gather(*(one() for _ in range(count))))
        self._readers = [asyncio.create_task(self._read(ws)) for ws in self.sockets]

    async def _read(self, ws: Socket) -> None:
        arrivals = self.arrivals
        while (message := await ws.receive()).type is WSMsgType.TEXT:
            arrivals.append((time.perf_counter(), message.data))
            if len(arrivals) == self.expected:
                self.complete.set()

    def expect(self, events: int) -> None:
        """Log afresh, until each socket has received ``events`` notifications."""
        self.arrivals.clear()  # in place: the readers hold this list
        self.expected = events * len(self.sockets)
        self.complete = asyncio.Event()

    async def wait(self) -> None:
        """Until every expected notification is in (at most ``WAIT_S``)."""
        try:
            await asyncio.wait_for(self.complete.wait(), WAIT_S)
        except TimeoutError:
            closed = sum(ws.closed for ws in self.sockets)
            raise RuntimeError(
                f"{len(self.arrivals)} of {self.expected} notifications within {WAIT_S}s;"
                f" {closed} sockets closed"
            ) from None

    async def received(self) -> list[tuple[float, str]]:
        """Each arrival as (time, the type of the task it tells of), once all are in;
        checked: every socket got every event once."""
        await self.wait()
        seen: Counter[tuple[str, str]] = Counter()
        out = []
        for at, data in self.arrivals:
            params = orjson.loads(data)["params"]
            type_ = params["result"]["type"]
            seen[params["subscription"], type_] += 1
            out.append((at, type_))
        if len(seen) != self.expected:
            raise RuntimeError(f"{self.expected - len(seen)} deliveries missing or repeated")
        return out

    async def close(self) -> None:
        await asyncio.gather(*(ws.close() for ws in self.sockets))
        await asyncio.gather(*self._readers)
