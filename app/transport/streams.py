"""Every open WebSocket session and event stream: capped, and closed together at shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp.abc import AbstractStreamWriter

from app.rpc.session import Session, SessionLimits
from app.transport.edge import StreamsFull

log = logging.getLogger("app.transport")

CLOSE_TIMEOUT_S = 5.0
"""How long a client has to take what was queued for it when its stream ends (at shutdown,
or cut off for not reading), and to answer a WebSocket close; past it, it is dropped."""


class Streams:
    def __init__(self, limit: int, limits: SessionLimits, grace_s: float = 8.0) -> None:
        self.limit = limit
        self.limits = limits
        self.grace_s = grace_s
        """How long calls in flight get at shutdown before they are cancelled (as over HTTP)."""
        self._closers: dict[Session, Callable[[], Awaitable[None]]] = {}
        self.cut_off = 0
        """Clients cut off since start for not reading their notifications."""

    def __len__(self) -> int:
        return len(self._closers)

    def admit(self) -> None:
        """Raise ``StreamsFull`` if no other stream may open now."""
        if len(self._closers) >= self.limit:
            raise StreamsFull(self.limit)

    def add(self, session: Session, going_away: Callable[[], Awaitable[None]]) -> None:
        """Track an open stream; ``going_away`` ends it gracefully at shutdown."""
        self._closers[session] = going_away

    def discard(self, session: Session) -> None:
        self._closers.pop(session, None)

    def subscriptions(self) -> int:
        """Subscriptions open now, over every stream."""
        return sum(session.subscriptions for session in self._closers)

    async def close_all(self) -> None:
        """Shutdown: end every stream once its in-flight calls are answered."""
        closers = list(self._closers.values())
        if closers:
            log.info("closing %d live connections", len(closers))
            await asyncio.gather(*(closer() for closer in closers), return_exceptions=True)


async def flush_or_drop(
    transport: asyncio.Transport | None, writer: AbstractStreamWriter, timeout_s: float
) -> None:
    """Give the client ``timeout_s`` to take every byte written to it; then drop the
    connection if it has not (a client that never reads would otherwise hold it for ever)."""
    if transport is None or not transport.get_write_buffer_size():
        return
    # With no buffer allowed, the connection stays paused until the last byte is taken, so
    # drain() returns at exactly that. Not cancelled on timeout: aiohttp shares one drain
    # waiter among its writers, and cancelling ours would cancel theirs.
    low, high = transport.get_write_buffer_limits()
    transport.set_write_buffer_limits(high=0)
    drained = asyncio.ensure_future(writer.drain())
    drained.add_done_callback(_retrieve)
    await asyncio.wait([drained], timeout=timeout_s)
    if transport.get_write_buffer_size():
        transport.abort()  # wakes every writer waiting to drain, with ConnectionError
    else:
        transport.set_write_buffer_limits(high, low)


def _retrieve(task: asyncio.Future[None]) -> None:
    if not task.cancelled():
        task.exception()  # a lost connection is expected here: not worth a warning
