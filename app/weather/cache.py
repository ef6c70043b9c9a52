"""Where the live provider keeps its answers for the TTL: this process, or Redis for replicas.

An answer is kept per city and local day, and judged fresh on the store's clock. The memory
cache keeps the bundle read from the answer; a shared one may keep the answer's body instead,
and read it again on a hit.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from app.weather.openmeteo_format import Bundle

AnswerKey = tuple[int, date]
"""A city's GeoNames id and its local day: an answer serves one city for one day."""
CACHE_ENTRIES = 4096


class AnswerCache(Protocol):
    async def get(self, key: AnswerKey, now: float) -> Bundle | None:
        """The answer kept for ``key``, if it is still fresh at ``now``."""
        ...

    async def put(
        self, key: AnswerKey, body: bytes, bundle: Bundle, now: float, ttl_s: float
    ) -> None:
        """Keep ``bundle``, read from the answer ``body``, from ``now`` for ``ttl_s`` seconds."""
        ...


@dataclass(frozen=True, slots=True)
class _Entry:
    bundle: Bundle
    expires_at: float


class MemoryAnswerCache:
    """The ``CACHE_ENTRIES`` answers used last, in this process."""

    def __init__(self) -> None:
        self._entries: OrderedDict[AnswerKey, _Entry] = OrderedDict()

    async def get(self, key: AnswerKey, now: float) -> Bundle | None:
        entry = self._entries.get(key)
        if entry is None or now >= entry.expires_at:
            return None
        self._entries.move_to_end(key)
        return entry.bundle

    async def put(
        self, key: AnswerKey, body: bytes, bundle: Bundle, now: float, ttl_s: float
    ) -> None:
        self._entries[key] = _Entry(bundle, now + ttl_s)
        self._entries.move_to_end(key)
        while len(self._entries) > CACHE_ENTRIES:
            self._entries.popitem(last=False)
