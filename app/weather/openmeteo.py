"""The live provider: Open-Meteo's forecast API (``GET /v1/forecast``), cached per city.

One request per city and local day fetches the current conditions and 14 days of forecast::

    ?latitude=48.85341&longitude=2.3488&timezone=Europe/Paris&forecast_days=14
     &current=temperature_2m,relative_humidity_2m,apparent_temperature,is_day,weather_code,...
     &daily=weather_code,temperature_2m_max,temperature_2m_min,precipitation_probability_max

The answer is read by ``openmeteo_format``; whatever goes wrong is an ``UpstreamError``,
which the caller answers from the offline model. Answers are kept for ``ttl_s`` seconds of
the store's clock, in this process or in the shared ``cache`` a store passes; concurrent
requests for one city share one fetch, and after a failure a city is not asked for again
for a while (both within a process), so a hanging upstream costs one timeout, not one per
call.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime

import aiohttp

from app import __version__
from app.clock import Clock
from app.weather.cache import AnswerCache, AnswerKey, MemoryAnswerCache
from app.weather.metrics import Tally
from app.weather.models import CityInfo
from app.weather.openmeteo_format import CURRENT, DAILY, Bundle, UpstreamError, parse, reason

FORECAST_DAYS = 14
MAX_BODY_BYTES = 1 << 20
"""Open-Meteo answers this request in about 2 KB; anything near a megabyte is not an answer."""
FAILURE_BACKOFF_S = 30.0
"""After a failure, the city is answered from the model for this long (at most the TTL)."""


class OpenMeteo:
    """Fetches and caches Open-Meteo answers; raises ``UpstreamError`` when it has none."""

    def __init__(
        self,
        url: str,
        timeout_s: float,
        ttl_s: float,
        clock: Clock,
        cache: AnswerCache | None = None,
        tally: Tally | None = None,
    ) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.ttl_s = ttl_s
        self.clock = clock
        self._session: aiohttp.ClientSession | None = None
        self._cache = cache if cache is not None else MemoryAnswerCache()
        self.tally = tally if tally is not None else Tally()
        self._failed_until: dict[int, float] = {}
        self._inflight: dict[AnswerKey, asyncio.Task[Bundle]] = {}

    async def open(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.timeout_s),
            headers={"User-Agent": f"rpc-hub/{__version__}"},
        )

    async def close(self) -> None:
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    async def get(self, city: CityInfo, now: float) -> Bundle:
        """The city's answer for its current local day, from the cache or upstream."""
        today = datetime.fromtimestamp(now, city.zone).date()
        key = (city.id, today)
        cached = await self._cache.get(key, now)
        if cached is not None:
            self.tally.cache_hits += 1
            return cached
        if self._failed_until.get(city.id, 0.0) > now:
            raise UpstreamError("it failed moments ago; not asking again yet")
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._fetch(city, today, key))
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._settle(key, done))
        # Shielded: a caller that gives up does not cancel the fetch others are waiting on.
        return await asyncio.shield(task)

    def _settle(self, key: AnswerKey, task: asyncio.Task[Bundle]) -> None:
        self._inflight.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved: a failure nobody awaited is not an error to report

    async def _fetch(self, city: CityInfo, today: date, key: AnswerKey) -> Bundle:
        try:
            body = await self._request(city)
            bundle = parse(body, today)
        except UpstreamError:
            self.tally.error += 1
            self._failed_until[city.id] = self.clock.time() + min(FAILURE_BACKOFF_S, self.ttl_s)
            raise
        self.tally.ok += 1
        self._failed_until.pop(city.id, None)
        await self._cache.put(key, body, bundle, self.clock.time(), self.ttl_s)
        return bundle

    async def _request(self, city: CityInfo) -> bytes:
        if self._session is None:
            raise UpstreamError("the provider is not open")
        params = {
            "latitude": str(city.latitude),
            "longitude": str(city.longitude),
            "timezone": city.timezone,
            "forecast_days": str(FORECAST_DAYS),
            "current": ",".join(CURRENT),
            "daily": ",".join(DAILY),
        }
        try:
            async with self._session.get(self.url, params=params) as response:
                body = await _read_limited(response)
                if response.status != 200:
                    raise UpstreamError(f"HTTP {response.status}: {reason(body)}")
                return body
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise UpstreamError(f"{type(exc).__name__}: {exc}") from exc


async def _read_limited(response: aiohttp.ClientResponse) -> bytes:
    if (response.content_length or 0) > MAX_BODY_BYTES:
        raise UpstreamError(f"the answer is too large ({response.content_length} bytes)")
    body = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise UpstreamError("the answer is too large")
    return bytes(body)
