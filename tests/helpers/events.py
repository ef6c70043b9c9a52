"""A listener that keeps what an event store hands it, for the event store's tests."""

from __future__ import annotations

import asyncio

from pydantic import JsonValue

from app.events.models import Event


class Heard:
    """Pass it to ``EventStore.listen``; it keeps each event, in the order given."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Event()

    def __call__(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    @property
    def data(self) -> list[JsonValue]:
        return [event.data for event in self.events]

    async def until(self, count: int) -> list[Event]:
        """The events once there are ``count`` of them (another replica's come a little later)."""
        async with asyncio.timeout(10):
            while len(self.events) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.events
