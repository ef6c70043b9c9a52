"""``RedisWeatherStore``: ``MemoryWeatherStore`` with Open-Meteo's answers cached in Redis.

The city index and the offline model are read-only data, so each process keeps its own; only
the live provider's answers are shared, so that replicas ask Open-Meteo once per city and
local day between them. The cache is best effort: while Redis does not answer, a call asks
Open-Meteo as if nothing were cached.

An entry is one key per city and local day, holding the deadline on the store's clock (which
tests move by hand), a newline, then Open-Meteo's answer as it came; a hit reads the answer
again. Redis drops the key after the TTL on its own clock.
"""

from __future__ import annotations

import logging
import math

from app.redis_link import Link, StoreUnavailable
from app.stores import StoreContext
from app.weather.cache import AnswerKey
from app.weather.memory import MemoryWeatherStore
from app.weather.openmeteo_format import Bundle, parse

log = logging.getLogger("app.weather")

KEEP_AT_MOST_S = 2 * 86_400
"""An answer serves one local day, so no entry need outlive two (whatever the TTL says)."""


class RedisWeatherStore(MemoryWeatherStore):
    """Weather as ``MemoryWeatherStore`` gives it, with one Open-Meteo cache for all replicas."""

    def __init__(self, context: StoreContext) -> None:
        super().__init__(context, RedisAnswerCache(context.link()))


class RedisAnswerCache:
    """Open-Meteo's answers in Redis, shared by every store on it."""

    def __init__(self, link: Link) -> None:
        self._link = link
        self._keys = link.keyspace("weather")

    async def get(self, key: AnswerKey, now: float) -> Bundle | None:
        try:
            stored = await self._link.command("GET", self._name(key))
        except StoreUnavailable:
            log.warning("weather cache: Redis did not answer; asking Open-Meteo")
            return None
        if stored is None:
            return None
        deadline, _, body = stored.partition(b"\n")
        if now >= float(deadline):
            return None
        return parse(body, key[1])

    async def put(
        self, key: AnswerKey, body: bytes, bundle: Bundle, now: float, ttl_s: float
    ) -> None:
        entry = repr(now + ttl_s).encode() + b"\n" + body
        keep_ms = max(1, math.ceil(min(ttl_s, KEEP_AT_MOST_S) * 1000))
        try:
            await self._link.command("SET", self._name(key), entry, "PX", keep_ms)
        except StoreUnavailable:
            log.warning("weather cache: Redis did not answer; this answer is not shared")

    def _name(self, key: AnswerKey) -> str:
        city, day = key
        return self._keys("openmeteo", str(city), day.isoformat())
