"""The stores of one app: built from its plugins, opened, drained and closed together."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from app.plugins import Plugin
from app.stores import Backend, StoreContext, Warming

log = logging.getLogger("app.server")


class Stores:
    """One backend per store Protocol, and whether they can serve."""

    def __init__(self, plugins: Sequence[Plugin], context: StoreContext) -> None:
        self.by_protocol: dict[type[Any], Backend] = {}
        for plugin in plugins:
            for provider in plugin.stores:
                if provider.protocol in self.by_protocol:
                    raise ValueError(f"two plugins provide {provider.protocol.__name__}")
                self.by_protocol[provider.protocol] = provider.build(context)
        self._redis = context.redis
        self._warming = [b for b in self.by_protocol.values() if isinstance(b, Warming)]
        self._open = False
        self._draining = False

    async def open(self) -> None:
        """Open the Redis pool (if any), then every backend in order; if one fails, close
        those already open, then raise."""
        if self._redis is not None:
            await self._redis.open()
        opened: list[Backend] = []
        try:
            for backend in self.by_protocol.values():
                await backend.open()
                opened.append(backend)
        except BaseException:
            await _close_all(reversed(opened))
            await self._close_redis()
            raise
        self._open = True

    def drain(self) -> None:
        """The server is stopping: refuse to look ready, and let long-polls return early."""
        self._draining = True
        for backend in self.by_protocol.values():
            backend.drain()

    async def close(self) -> None:
        """Close every backend, last opened first, even when one of them fails."""
        self._open = False
        await _close_all(reversed(self.by_protocol.values()))
        await self._close_redis()

    async def _close_redis(self) -> None:
        if self._redis is not None:
            await self._redis.close()

    @property
    def ready(self) -> bool:
        """Open, not shutting down, and done with any loading in the background."""
        return self._open and not self._draining and all(b.ready for b in self._warming)

    async def reachable(self) -> bool:
        """Whether the stores can serve now: open, and their Redis (if any) answers."""
        return self._redis is None or await self._redis.ping()

    @property
    def draining(self) -> bool:
        return self._draining


async def _close_all(backends: Iterable[Backend]) -> None:
    for backend in backends:
        try:
            await backend.close()
        except Exception:
            log.exception("closing %s failed", type(backend).__name__)
