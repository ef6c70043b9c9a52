"""The in-process event store: a bounded deque per topic, delivered to listeners in place."""

from __future__ import annotations

import secrets
from collections import OrderedDict, deque
from collections.abc import Callable

from pydantic import JsonValue

from app.events.history import kept_after, kept_window
from app.events.listeners import Listeners
from app.events.models import Event, Position, Replay
from app.events.store import Listener
from app.stores import Backend, StoreContext

MAX_TOPICS = 10_000
"""Topics kept at once; past it the one used longest ago is forgotten (and its epoch)."""


class _Topic:
    __slots__ = ("epoch", "events", "offset")

    def __init__(self, history: int) -> None:
        # A topic's own epoch: one forgotten and begun again must not match old positions.
        self.epoch = secrets.token_hex(8)
        self.offset = 0
        self.events: deque[Event] = deque(maxlen=history)


class MemoryEventStore(Backend):
    def __init__(self, context: StoreContext) -> None:
        self._history = context.settings.events_history
        self._topics: OrderedDict[str, _Topic] = OrderedDict()
        self._listeners = Listeners()

    def _topic(self, name: str) -> _Topic:
        topic = self._topics.get(name)
        if topic is None:
            topic = self._topics[name] = _Topic(self._history)
            if len(self._topics) > MAX_TOPICS:
                self._topics.popitem(last=False)
        else:
            self._topics.move_to_end(name)
        return topic

    async def publish(self, topic: str, data: JsonValue) -> Event:
        kept = self._topic(topic)
        kept.offset += 1
        event = Event(topic, kept.offset, data)
        kept.events.append(event)
        self._listeners.deliver(event)
        return event

    def listen(self, topic: str, listener: Listener) -> Callable[[], None]:
        return self._listeners.add(topic, listener)

    async def replay(self, topic: str, since: Position | None) -> Replay:
        kept = self._topic(topic)
        position = Position(epoch=kept.epoch, offset=kept.offset)
        events = kept_after(list(kept.events), kept.offset, position, since)
        if events is None:
            return Replay([], position, recovered=False)
        return Replay(events, position, recovered=True)

    async def history(
        self, topic: str, *, before: int | None = None, since: int | None = None, limit: int
    ) -> list[Event]:
        kept = self._topics.get(topic)
        return [] if kept is None else kept_window(list(kept.events), before, since, limit)
