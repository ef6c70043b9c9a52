"""What weather.* methods take and return: the wire vocabularies and the result models.

Temperatures are published as described in `units`: rounded once to 0.1 °C, then converted
exactly. Times are ISO 8601 with the city's UTC offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Literal, TypeAlias
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

Units = Literal["C", "F", "K"]
Emoji = Literal["🥶", "😊", "🥵"]
Condition = Literal[
    "clear", "partly_cloudy", "cloudy", "fog", "drizzle", "rain", "snow", "thunderstorm"
]
ProviderName = Literal["offline", "open-meteo"]
Compass = Literal[
    "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
    "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW",
]  # fmt: skip
CityRef: TypeAlias = str | int
"""A city's name, or its GeoNames id (which tells namesakes apart)."""

Finite = Annotated[float, Field(allow_inf_nan=False)]
Temperature = Annotated[float, Field(allow_inf_nan=False, description="In the requested units.")]


@dataclass(frozen=True, slots=True)
class CityInfo:
    """A city of the dataset, as resolved."""

    # The index holds ~34,000 of these and the climate model's memos are keyed by them, so a
    # slotted dataclass (which pydantic serializes and describes like a model) is the record.
    __pydantic_config__ = ConfigDict(extra="forbid")

    id: Annotated[int, Field(description="GeoNames id.")]
    name: str
    country: Annotated[str, Field(description="ISO 3166-1 alpha-2 code.", pattern="^[A-Z]{2}$")]
    country_name: str
    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]
    population: Annotated[int, Field(ge=0)]
    timezone: Annotated[str, Field(description="IANA time zone name.")]

    @property
    def zone(self) -> ZoneInfo:
        """The city's time zone."""
        return ZoneInfo(self.timezone)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


_PROVIDER = "Who produced the values."
_FALLBACK = "True when the live provider failed and the offline model answered instead."


class TemperatureReading(_Model):
    """The temperature in a city now."""

    city: CityInfo
    temperature: Temperature
    units: Units
    emoji: Emoji
    observed_at: datetime = Field(description="When it was observed, with the city's UTC offset.")
    provider: ProviderName = Field(description=_PROVIDER)
    fallback: bool = Field(description=_FALLBACK)


class CurrentWeather(_Model):
    """The weather in a city now."""

    city: CityInfo
    observed_at: datetime = Field(description="When it was observed, with the city's UTC offset.")
    units: Units
    temperature: Temperature
    feels_like: Temperature
    humidity_pct: Annotated[int, Field(ge=0, le=100)]
    wind_speed_kmh: Annotated[Finite, Field(ge=0)]
    wind_direction_deg: Annotated[int, Field(ge=0, le=359, description="Where it blows from.")]
    wind_direction: Compass
    condition: Condition
    is_day: bool
    emoji: Emoji
    provider: ProviderName = Field(description=_PROVIDER)
    fallback: bool = Field(description=_FALLBACK)


class DayForecast(_Model):
    """One local calendar day."""

    date: date
    high: Temperature
    low: Temperature
    condition: Condition
    precipitation_chance_pct: Annotated[int, Field(ge=0, le=100)]


class Forecast(_Model):
    """Daily forecasts for a city, starting with its today."""

    city: CityInfo
    units: Units
    days: list[DayForecast]
    provider: ProviderName = Field(description=_PROVIDER)
    fallback: bool = Field(description=_FALLBACK)
