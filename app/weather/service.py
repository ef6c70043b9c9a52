"""The weather sub-store: the city index plus the configured provider.

The offline climate model always answers. With ``--weather-provider open-meteo`` the live
provider is asked first, and any failure of it (timeout, HTTP error, malformed answer) is
answered by the model instead, flagged ``fallback``.
"""

from __future__ import annotations

import asyncio
import logging

from app.clock import Clock
from app.settings import Settings
from app.weather import cities, climate
from app.weather.cities import City, CityIndex
from app.weather.openmeteo import OpenMeteo
from app.weather.openmeteo_format import UpstreamError
from app.weather.readings import DayOutlook, Observation, Report

log = logging.getLogger("app.weather")


class Weather:
    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.clock = clock
        self._live: OpenMeteo | None = None
        if settings.weather_provider == "open-meteo":
            self._live = OpenMeteo(
                url=settings.weather_url,
                timeout_s=settings.weather_timeout_s,
                ttl_s=settings.weather_cache_ttl_s,
                clock=clock,
            )

    async def open(self) -> None:
        # Parsing the dataset takes about a second: do it off the event loop, before serving.
        await asyncio.to_thread(cities.load)
        if self._live is not None:
            await self._live.open()

    async def close(self) -> None:
        if self._live is not None:
            await self._live.close()

    @property
    def cities(self) -> CityIndex:
        return cities.load()

    def resolve(self, name: str | int, country: str | None = None) -> City:
        """The city called ``name`` (most populous if ambiguous), or with that GeoNames id.

        Raises ``CityNotFound``.
        """
        return self.cities.resolve(name, country.upper() if country else None)

    async def current(self, city: City) -> Report[Observation]:
        """The weather in ``city`` now."""
        now = self.clock.time()
        if self._live is not None:
            try:
                return Report((await self._live.get(city, now)).current, "open-meteo")
            except UpstreamError as exc:
                log.warning("open-meteo failed for %s (%s): %s", city.name, city.id, exc)
                return Report(climate.observe(city, now), "offline", fallback=True)
        return Report(climate.observe(city, now), "offline")

    async def forecast(self, city: City, days: int) -> Report[list[DayOutlook]]:
        """``days`` days of forecast for ``city``, starting with its today."""
        now = self.clock.time()
        if self._live is not None:
            try:
                bundle = await self._live.get(city, now)
                return Report(bundle.forecast(days), "open-meteo")
            except UpstreamError as exc:
                log.warning("open-meteo failed for %s (%s): %s", city.name, city.id, exc)
                return Report(climate.outlook(city, now, days), "offline", fallback=True)
        return Report(climate.outlook(city, now, days), "offline")
