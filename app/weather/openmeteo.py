"""The live provider: Open-Meteo's forecast API (``GET /v1/forecast``), cached per city.

One request per city and local day fetches the current conditions and 14 days of forecast::

    ?latitude=48.85341&longitude=2.3488&timezone=Europe/Paris&forecast_days=14
     &current=temperature_2m,relative_humidity_2m,apparent_temperature,is_day,weather_code,...
     &daily=weather_code,temperature_2m_max,temperature_2m_min,precipitation_probability_max

The answer is checked against the format Open-Meteo documents (units included: °C, km/h, %)
before any of it is used; anything else is an ``UpstreamError``, which the caller answers from
the offline model. Answers are kept for ``ttl_s`` seconds of the store's clock, concurrent
requests for one city share one fetch, and after a failure a city is not asked for again for
a while, so a hanging upstream costs one timeout, not one per call.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Literal

import aiohttp
from pydantic import BaseModel, Field, ValidationError, model_validator

from app import __version__
from app.clock import Clock
from app.weather.cities import City
from app.weather.readings import Condition, DayOutlook, Observation

FORECAST_DAYS = 14
MAX_BODY_BYTES = 1 << 20
"""Open-Meteo answers this request in about 2 KB; anything near a megabyte is not an answer."""
CACHE_ENTRIES = 4096
FAILURE_BACKOFF_S = 30.0
"""After a failure, the city is answered from the model for this long (at most the TTL)."""

CURRENT = (
    "temperature_2m",
    "relative_humidity_2m",
    "apparent_temperature",
    "is_day",
    "weather_code",
    "wind_speed_10m",
    "wind_direction_10m",
)
DAILY = (
    "weather_code",
    "temperature_2m_max",
    "temperature_2m_min",
    "precipitation_probability_max",
)

# WMO weather interpretation codes, as Open-Meteo documents them.
_CONDITIONS: dict[int, Condition] = {
    0: "clear",
    **dict.fromkeys((1, 2), "partly_cloudy"),
    3: "cloudy",
    **dict.fromkeys((45, 48), "fog"),
    **dict.fromkeys((51, 53, 55, 56, 57), "drizzle"),
    **dict.fromkeys((61, 63, 65, 66, 67, 80, 81, 82), "rain"),
    **dict.fromkeys((71, 73, 75, 77, 85, 86), "snow"),
    **dict.fromkeys((95, 96, 99), "thunderstorm"),
}


class UpstreamError(Exception):
    """The live provider gave no usable answer."""


Celsius = Annotated[float, Field(ge=-100, le=70)]
Percent = Annotated[float, Field(ge=0, le=100)]


class _CurrentUnits(BaseModel):
    temperature_2m: Literal["°C"]
    relative_humidity_2m: Literal["%"]
    apparent_temperature: Literal["°C"]
    wind_speed_10m: Literal["km/h"]
    wind_direction_10m: Literal["°"]


class _Current(BaseModel):
    time: datetime
    temperature_2m: Celsius
    relative_humidity_2m: Percent
    apparent_temperature: Celsius
    is_day: Literal[0, 1]
    weather_code: int
    wind_speed_10m: Annotated[float, Field(ge=0, le=500)]
    wind_direction_10m: Annotated[float, Field(ge=0, le=360)]


class _DailyUnits(BaseModel):
    temperature_2m_max: Literal["°C"]
    temperature_2m_min: Literal["°C"]
    precipitation_probability_max: Literal["%"]


class _Daily(BaseModel):
    time: list[date]
    weather_code: list[int]
    temperature_2m_max: list[Celsius]
    temperature_2m_min: list[Celsius]
    precipitation_probability_max: list[Percent]

    @model_validator(mode="after")
    def _aligned(self) -> _Daily:
        lengths = {len(column) for column in self.__dict__.values()}
        if len(lengths) != 1:
            raise ValueError("daily columns differ in length")
        return self


class _Answer(BaseModel):
    utc_offset_seconds: Annotated[int, Field(ge=-18 * 3600, le=18 * 3600)]
    current_units: _CurrentUnits
    current: _Current
    daily_units: _DailyUnits
    daily: _Daily


@dataclass(frozen=True, slots=True)
class Bundle:
    """One city's current conditions and the forecast days from its today on."""

    current: Observation
    days: tuple[DayOutlook, ...]

    def forecast(self, days: int) -> list[DayOutlook]:
        if len(self.days) < days:
            raise UpstreamError(f"the answer holds {len(self.days)} days from today, not {days}")
        return list(self.days[:days])


@dataclass(frozen=True, slots=True)
class _Entry:
    bundle: Bundle
    expires_at: float


class OpenMeteo:
    """Fetches and caches Open-Meteo answers; raises ``UpstreamError`` when it has none."""

    def __init__(self, url: str, timeout_s: float, ttl_s: float, clock: Clock) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.ttl_s = ttl_s
        self.clock = clock
        self.requests = 0
        """Requests sent upstream, for health reporting and tests."""
        self._session: aiohttp.ClientSession | None = None
        self._cache: OrderedDict[tuple[int, date], _Entry] = OrderedDict()
        self._failed_until: dict[int, float] = {}
        self._inflight: dict[tuple[int, date], asyncio.Task[Bundle]] = {}

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

    async def get(self, city: City, now: float) -> Bundle:
        """The city's answer for its current local day, from the cache or upstream."""
        today = datetime.fromtimestamp(now, city.zone).date()
        key = (city.id, today)
        entry = self._cache.get(key)
        if entry is not None and now < entry.expires_at:
            self._cache.move_to_end(key)
            return entry.bundle
        if self._failed_until.get(city.id, 0.0) > now:
            raise UpstreamError("it failed moments ago; not asking again yet")
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._fetch(city, today, key))
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._settle(key, done))
        # Shielded: a caller that gives up does not cancel the fetch others are waiting on.
        return await asyncio.shield(task)

    def _settle(self, key: tuple[int, date], task: asyncio.Task[Bundle]) -> None:
        self._inflight.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved: a failure nobody awaited is not an error to report

    async def _fetch(self, city: City, today: date, key: tuple[int, date]) -> Bundle:
        try:
            body = await self._request(city)
            bundle = parse(body, today)
        except UpstreamError:
            self._failed_until[city.id] = self.clock.time() + min(FAILURE_BACKOFF_S, self.ttl_s)
            raise
        self._failed_until.pop(city.id, None)
        self._cache[key] = _Entry(bundle, self.clock.time() + self.ttl_s)
        self._cache.move_to_end(key)
        while len(self._cache) > CACHE_ENTRIES:
            self._cache.popitem(last=False)
        return bundle

    async def _request(self, city: City) -> bytes:
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
        self.requests += 1
        try:
            async with self._session.get(self.url, params=params) as response:
                body = await _read_limited(response)
                if response.status != 200:
                    raise UpstreamError(f"HTTP {response.status}: {_reason(body)}")
                return body
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise UpstreamError(f"{type(exc).__name__}: {exc}") from exc


def parse(body: bytes, today: date) -> Bundle:
    """The bundle in an Open-Meteo answer, from ``today`` on; ``UpstreamError`` if malformed."""
    try:
        answer = _Answer.model_validate_json(body)
    except ValidationError as exc:
        raise UpstreamError(f"unexpected answer: {exc.error_count()} problems") from exc
    offset = timezone(timedelta(seconds=answer.utc_offset_seconds))
    now = answer.current
    current = Observation(
        observed_at=now.time.replace(tzinfo=offset),
        temperature_c=now.temperature_2m,
        feels_like_c=now.apparent_temperature,
        humidity_pct=round(now.relative_humidity_2m),
        wind_speed_kmh=round(now.wind_speed_10m, 1),
        wind_direction_deg=round(now.wind_direction_10m) % 360,
        condition=_condition(now.weather_code),
        is_day=now.is_day == 1,
    )
    daily = answer.daily
    days = tuple(
        DayOutlook(
            day=day,
            high_c=daily.temperature_2m_max[i],
            low_c=daily.temperature_2m_min[i],
            condition=_condition(daily.weather_code[i]),
            precipitation_chance_pct=round(daily.precipitation_probability_max[i]),
        )
        for i, day in enumerate(daily.time)
        if day >= today
    )
    if not days or days[0].day != today:
        raise UpstreamError(f"the forecast does not start with the city's today, {today}")
    return Bundle(current, days)


def _condition(code: int) -> Condition:
    try:
        return _CONDITIONS[code]
    except KeyError:
        raise UpstreamError(f"unknown WMO weather code {code}") from None


async def _read_limited(response: aiohttp.ClientResponse) -> bytes:
    if (response.content_length or 0) > MAX_BODY_BYTES:
        raise UpstreamError(f"the answer is too large ({response.content_length} bytes)")
    body = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise UpstreamError("the answer is too large")
    return bytes(body)


def _reason(body: bytes) -> str:
    """Open-Meteo's own explanation, ``{"error": true, "reason": "..."}``, if it sent one."""
    try:
        return _ErrorAnswer.model_validate_json(body).reason[:200]
    except ValidationError:
        return "no reason given"


class _ErrorAnswer(BaseModel):
    error: Literal[True]
    reason: str
