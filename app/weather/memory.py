"""``MemoryWeatherStore``: the city index in this process, plus the configured provider.

The offline climate model always answers. With ``--weather-provider open-meteo`` the live
provider is asked first (its answers cached per city for ``--weather-cache-ttl-s``, in this
process unless a ``cache`` is passed, as ``RedisWeatherStore`` does), and any failure of it
(timeout, HTTP error, malformed answer) is answered by the model instead, flagged ``fallback``.

CPU-heavy work (an unknown name's "did you mean" search, a forecast) takes turns, each in an
event-loop step of its own, so that a batch or a flood of it cannot hold the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TypeVar

from app.stores import Backend, Sample, StoreContext
from app.weather import cities, climate, pack
from app.weather import units as u
from app.weather.cache import AnswerCache
from app.weather.errors import CitiesUnavailable
from app.weather.metrics import Tally
from app.weather.models import (
    CityInfo,
    CityRef,
    CurrentWeather,
    DayForecast,
    Emoji,
    Forecast,
    TemperatureReading,
    Units,
)
from app.weather.openmeteo import OpenMeteo
from app.weather.openmeteo_format import UpstreamError
from app.weather.readings import DayOutlook, Observation, ProviderReport, compass

log = logging.getLogger("app.weather")
T = TypeVar("T")


class MemoryWeatherStore(Backend):
    """Weather from the offline model, or from Open-Meteo with the model as its fallback."""

    def __init__(self, context: StoreContext, cache: AnswerCache | None = None) -> None:
        settings = context.settings
        self._clock = context.clock
        self._turns = asyncio.Lock()
        self._tally = Tally()
        self._live: OpenMeteo | None = None
        self._index: cities.CityIndex | None = None
        self._loading: asyncio.Task[cities.CityIndex | None] | None = None
        if settings.weather_provider == "open-meteo":
            self._live = OpenMeteo(
                url=settings.weather_url,
                timeout_s=settings.weather_timeout_s,
                ttl_s=settings.weather_cache_ttl_s,
                clock=context.clock,
                cache=cache,
                tally=self._tally,
            )

    async def open(self) -> None:
        # The index loads in the background, after the listener is up: 30 ms from the packed
        # table, 2 s when it must be built. /readyz says "starting" until then.
        self._index = cities.loaded()
        if self._index is None:
            pack.check_available()  # nothing to load it from: fail now, not after serving
            self._loading = asyncio.create_task(self._load())
        if self._live is not None:
            await self._live.open()

    async def close(self) -> None:
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()  # the thread finishes on its own; nothing waits for it
            with contextlib.suppress(asyncio.CancelledError):
                await self._loading
        if self._live is not None:
            await self._live.close()

    @property
    def ready(self) -> bool:
        """Whether the city index is loaded (``app.stores.Warming``)."""
        return self._index is not None

    async def _load(self) -> cities.CityIndex | None:
        try:
            self._index = await asyncio.to_thread(cities.load)
        except Exception:
            log.exception("the city index failed to load: weather.* answers -32005")
        return self._index

    async def _cities(self) -> cities.CityIndex:
        """The index; while it loads, a call waits for it (within the call's time limit)."""
        if self._index is not None:
            return self._index
        if self._loading is None:  # never opened: a store used on its own
            self._loading = asyncio.create_task(self._load())
        # Shielded: a call that times out must not cancel the load for everyone else.
        index = await asyncio.shield(self._loading)
        if index is None:
            raise CitiesUnavailable(
                data={"reason": "the city index failed to load; the server's log says why"}
            )
        return index

    async def measure(self) -> list[Sample]:
        """Provider calls, cache hits and fallbacks (``app.weather.metrics``), this process's."""
        return self._tally.samples()

    async def search_cities(self, query: str, limit: int) -> list[CityInfo]:
        """Up to ``limit`` cities whose name starts with ``query`` (folded), by population."""
        return (await self._cities()).search(query, limit)

    async def get_temperature(
        self, city: CityRef, country: str | None, units: Units
    ) -> TemperatureReading:
        """The temperature in ``city`` now. Raises ``CityNotFound``."""
        found = await self._resolve(city, country)
        report = await self._observe(found)
        reading = report.value
        return TemperatureReading(
            city=found,
            temperature=u.wire(reading.temperature_c, units),
            units=units,
            emoji=u.wire_emoji(reading.temperature_c),
            observed_at=reading.observed_at,
            provider=report.provider,
            fallback=report.fallback,
        )

    async def get_emoji(self, temperature: int | float, units: Units) -> Emoji:
        """How ``temperature`` (in ``units``) feels. Raises ``BelowAbsoluteZero``."""
        return u.emoji_of(temperature, units)

    async def current(self, city: CityRef, country: str | None, units: Units) -> CurrentWeather:
        """The weather in ``city`` now. Raises ``CityNotFound``."""
        found = await self._resolve(city, country)
        report = await self._observe(found)
        reading = report.value
        return CurrentWeather(
            city=found,
            observed_at=reading.observed_at,
            units=units,
            temperature=u.wire(reading.temperature_c, units),
            feels_like=u.wire(reading.feels_like_c, units),
            humidity_pct=reading.humidity_pct,
            wind_speed_kmh=reading.wind_speed_kmh,
            wind_direction_deg=reading.wind_direction_deg,
            wind_direction=compass(reading.wind_direction_deg),
            condition=reading.condition,
            is_day=reading.is_day,
            emoji=u.wire_emoji(reading.temperature_c),
            provider=report.provider,
            fallback=report.fallback,
        )

    async def forecast(
        self, city: CityRef, country: str | None, days: int, units: Units
    ) -> Forecast:
        """``days`` local days of forecast for ``city``, from its today. Raises ``CityNotFound``."""
        found = await self._resolve(city, country)
        report = await self._outlook(found, days)
        return Forecast(
            city=found,
            units=units,
            days=[
                DayForecast(
                    date=day.day,
                    high=u.wire(day.high_c, units),
                    low=u.wire(day.low_c, units),
                    condition=day.condition,
                    precipitation_chance_pct=day.precipitation_chance_pct,
                )
                for day in report.value
            ],
            provider=report.provider,
            fallback=report.fallback,
        )

    async def _resolve(self, city: CityRef, country: str | None) -> CityInfo:
        index = await self._cities()
        country = country.upper() if country else None  # the index holds codes upper-case
        found = index.find(city, country)
        if found is not None:
            return found
        if index.remembers(city, country):
            raise index.not_found(city, country)
        raise await self._heavy(lambda: index.not_found(city, country))

    async def _heavy(self, work: Callable[[], T]) -> T:
        """``work()``, CPU-bound for up to a millisecond (a name search, a cold forecast).

        Such calls take turns, each in an event-loop step of its own, so a batch or a flood
        of them is spread over many steps with everyone else served in between; inline, a
        batch of 100 unknown cities held the loop for 130 ms.
        """
        async with self._turns:
            await asyncio.sleep(0)
            return work()

    async def _observe(self, city: CityInfo) -> ProviderReport[Observation]:
        now = self._clock.time()
        if self._live is not None:
            try:
                return ProviderReport((await self._live.get(city, now)).current, "open-meteo")
            except UpstreamError as exc:
                log.warning("open-meteo failed for %s (%s): %s", city.name, city.id, exc)
                self._tally.fallbacks += 1
                return ProviderReport(climate.observe(city, now), "offline", fallback=True)
        return ProviderReport(climate.observe(city, now), "offline")

    async def _outlook(self, city: CityInfo, days: int) -> ProviderReport[list[DayOutlook]]:
        now = self._clock.time()
        if self._live is not None:
            try:
                bundle = await self._live.get(city, now)
                return ProviderReport(bundle.forecast(days), "open-meteo")
            except UpstreamError as exc:
                log.warning("open-meteo failed for %s (%s): %s", city.name, city.id, exc)
                self._tally.fallbacks += 1
                outlook = await self._heavy(lambda: climate.outlook(city, now, days))
                return ProviderReport(outlook, "offline", fallback=True)
        # 1.2 ms for 14 days of a city not asked about lately (96 readings a day).
        outlook = await self._heavy(lambda: climate.outlook(city, now, days))
        return ProviderReport(outlook, "offline")
