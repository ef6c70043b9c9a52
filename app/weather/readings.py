"""What a weather provider produces, in Celsius and km/h, before units and rounding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, Literal, TypeVar

Condition = Literal[
    "clear", "partly_cloudy", "cloudy", "fog", "drizzle", "rain", "snow", "thunderstorm"
]
ProviderName = Literal["offline", "open-meteo"]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Observation:
    """The weather at one instant."""

    observed_at: datetime
    """Aware, in the city's time zone."""
    temperature_c: float
    feels_like_c: float
    humidity_pct: int
    wind_speed_kmh: float
    wind_direction_deg: int
    """Where the wind blows from, 0-359, clockwise from north."""
    condition: Condition
    is_day: bool


@dataclass(frozen=True, slots=True)
class DayOutlook:
    """One local calendar day of a forecast."""

    day: date
    high_c: float
    low_c: float
    condition: Condition
    precipitation_chance_pct: int


@dataclass(frozen=True, slots=True)
class Report(Generic[T]):
    """A provider's answer, saying where it came from."""

    value: T
    provider: ProviderName
    fallback: bool = False
    """True when the live provider failed and the offline model answered instead."""
