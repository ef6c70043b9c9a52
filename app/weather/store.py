"""``WeatherStore``: everything weather.* asks of the domain, one async call per need.

Cities resolve by name (case and accents aside, many local names too; the most populous
namesake unless ``country`` narrows it) or by GeoNames id; an unknown one raises
``CityNotFound`` with suggestions. Readings say which provider produced them, and whether the
offline model stood in for a failed live provider.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from app.weather.models import (
    CityInfo,
    CityRef,
    CurrentWeather,
    Emoji,
    Forecast,
    TemperatureReading,
    Units,
)


@runtime_checkable
class WeatherStore(Protocol):
    """The world's cities and their weather, in exact units."""

    async def search_cities(self, query: str, limit: int) -> list[CityInfo]:
        """Up to ``limit`` cities whose name starts with ``query`` (folded), by population."""
        ...

    async def get_temperature(
        self, city: CityRef, country: str | None, units: Units
    ) -> TemperatureReading:
        """The temperature in ``city`` now. Raises ``CityNotFound``."""
        ...

    async def get_emoji(self, temperature: int | float, units: Units) -> Emoji:
        """How ``temperature`` (in ``units``) feels. Raises ``BelowAbsoluteZero``."""
        ...

    async def current(self, city: CityRef, country: str | None, units: Units) -> CurrentWeather:
        """The weather in ``city`` now. Raises ``CityNotFound``."""
        ...

    async def forecast(
        self, city: CityRef, country: str | None, days: int, units: Units
    ) -> Forecast:
        """``days`` local days of forecast for ``city``, from its today. Raises ``CityNotFound``."""
        ...
