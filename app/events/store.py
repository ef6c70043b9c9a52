"""``EventStore``: topics that keep their last events, and live delivery to listeners.

A backend keeps up to ``events_history`` events per topic and forgets idle topics (the
least recently published past a cap in memory, a TTL on Redis). With the Redis backend an
event published on one replica reaches the listeners of every replica.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from pydantic import JsonValue

from app.events.models import Event, Position, Replay

Listener = Callable[[Event], None]
"""Called for each live event, in offset order. It must not block: it queues and returns."""


@runtime_checkable
class EventStore(Protocol):
    async def publish(self, topic: str, data: JsonValue) -> Event:
        """Append ``data`` to ``topic``, with the next offset, and deliver it to listeners."""
        ...

    def listen(self, topic: str, listener: Listener) -> Callable[[], None]:
        """Deliver every event published on ``topic`` from now on to ``listener``; the
        returned function stops it. Never awaits a listener."""
        ...

    async def replay(self, topic: str, since: Position | None) -> Replay:
        """The events after ``since``, and whether they are all there (``recovered``).

        With no ``since``, or a different epoch, or a position older than the history
        kept: no events and ``recovered`` false. The position is the topic's newest.
        """
        ...

    async def history(
        self, topic: str, *, before: int | None = None, since: int | None = None, limit: int
    ) -> list[Event]:
        """Up to ``limit`` kept events, oldest first: the newest ones before offset
        ``before``, or the oldest ones after offset ``since`` (one of the two, or neither
        for the newest)."""
        ...
