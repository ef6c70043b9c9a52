"""The shared state behind every handler.

``Store`` gathers one sub-store per domain. Each operation on a sub-store is atomic: the
in-memory backend never awaits inside a critical section, so a handler sees each operation
happen all at once, and a networked backend can later replace a sub-store without
touching handlers.
"""

from __future__ import annotations

from app.clock import Clock, SystemClock
from app.game.store import GameStore
from app.settings import Settings
from app.shop import Shop
from app.tasks.store import TaskStore
from app.weather import Weather


class Store:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self._open = False
        self._draining = False
        self.game = GameStore(settings, self.clock)
        self.shop = Shop.from_settings(settings, self.clock)
        self.weather = Weather(settings, self.clock)
        self.tasks = TaskStore(settings, self.clock)

    async def open(self) -> None:
        await self.weather.open()
        await self.tasks.open()
        self._open = True

    def drain(self) -> None:
        """The server is stopping: refuse to look ready, and let long-polls return early."""
        self._draining = True
        self.tasks.drain()

    async def close(self) -> None:
        self._open = False
        await self.weather.close()
        await self.tasks.close()

    @property
    def ready(self) -> bool:
        return self._open and not self._draining

    @property
    def draining(self) -> bool:
        return self._draining
