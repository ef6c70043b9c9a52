"""The listeners of each topic in this process, shared by every backend."""

from __future__ import annotations

import logging
from collections.abc import Callable

from app.events.models import Event
from app.events.store import Listener

log = logging.getLogger("app.events")


class Listeners:
    def __init__(self) -> None:
        self._by_topic: dict[str, list[Listener]] = {}

    def add(self, topic: str, listener: Listener) -> Callable[[], None]:
        """Listen to ``topic``; the returned function stops it (twice is harmless)."""
        listeners = self._by_topic.setdefault(topic, [])
        listeners.append(listener)

        def stop() -> None:
            if listener in listeners:
                listeners.remove(listener)
                if not listeners and self._by_topic.get(topic) is listeners:
                    del self._by_topic[topic]

        return stop

    def wants(self, topic: str) -> bool:
        return topic in self._by_topic

    def deliver(self, event: Event) -> None:
        """Hand ``event`` to its topic's listeners; one that fails is logged, and the
        others still get it."""
        for listener in list(self._by_topic.get(event.topic, ())):
            try:
                listener(event)
            except Exception:
                log.exception("an event listener of %s failed", event.topic)
