"""Every open WebSocket session and event stream: capped, and closed together at shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from app.rpc.session import SessionLimits
from app.transport.edge import StreamsFull

log = logging.getLogger("app.transport")


class Streams:
    def __init__(self, limit: int, limits: SessionLimits) -> None:
        self.limit = limit
        self.limits = limits
        self._closers: dict[object, Callable[[], Awaitable[None]]] = {}
        self.cut_off = 0
        """Clients cut off since start for not reading their notifications."""

    def __len__(self) -> int:
        return len(self._closers)

    def admit(self) -> None:
        """Raise ``StreamsFull`` if no other stream may open now."""
        if len(self._closers) >= self.limit:
            raise StreamsFull(self.limit)

    def add(self, key: object, going_away: Callable[[], Awaitable[None]]) -> None:
        """Track an open stream; ``going_away`` ends it gracefully at shutdown."""
        self._closers[key] = going_away

    def discard(self, key: object) -> None:
        self._closers.pop(key, None)

    async def close_all(self) -> None:
        """Shutdown: end every stream once its in-flight calls are answered."""
        closers = list(self._closers.values())
        if closers:
            log.info("closing %d live connections", len(closers))
            await asyncio.gather(*(closer() for closer in closers), return_exceptions=True)
