"""What a weather provider produces, in Celsius and km/h, before units and rounding."""

from __future__ import annotations

import typing
from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, TypeVar

from app.weather.models import Compass, Condition, ProviderName

T = TypeVar("T")
_COMPASS: tuple[Compass, ...] = typing.get_args(Compass)


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
class ProviderReport(Generic[T]):
    """A provider's answer, saying where it came from."""

    value: T
    provider: ProviderName
    fallback: bool = False
    """True when the live provider failed and the offline model answered instead."""


def compass(degrees: int) -> Compass:
    """The nearest of the 16 compass points to a bearing (0-359, clockwise from north)."""
    return _COMPASS[round(degrees / 22.5) % 16]
