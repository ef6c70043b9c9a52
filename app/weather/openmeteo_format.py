"""Open-Meteo's forecast answer: the variables asked for, its format, and how it is read.

Every answer is checked against the format Open-Meteo documents, units included (°C, km/h,
%), and against physical bounds, before any of it is used; anything else is an
``UpstreamError``. One exception: a daily value may be ``null``, which Open-Meteo sends for
days its models do not reach (precipitation probability often ends after about 10 of the 14
days), and the forecast then ends before that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

from app.weather.models import Condition
from app.weather.readings import DayOutlook, Observation

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
    weather_code: list[int | None]
    temperature_2m_max: list[Celsius | None]
    temperature_2m_min: list[Celsius | None]
    precipitation_probability_max: list[Percent | None]

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
    ahead = [i for i, day in enumerate(daily.time) if day >= today]
    if not ahead or daily.time[ahead[0]] != today:
        raise UpstreamError(f"the forecast does not start with the city's today, {today}")
    days: list[DayOutlook] = []
    for i in ahead:
        code, high = daily.weather_code[i], daily.temperature_2m_max[i]
        low, chance = daily.temperature_2m_min[i], daily.precipitation_probability_max[i]
        if code is None or high is None or low is None or chance is None:
            break  # beyond the models' reach: a longer forecast is the offline model's
        days.append(
            DayOutlook(
                day=daily.time[i],
                high_c=high,
                low_c=low,
                condition=_condition(code),
                precipitation_chance_pct=round(chance),
            )
        )
    return Bundle(current, tuple(days))


def _condition(code: int) -> Condition:
    try:
        return _CONDITIONS[code]
    except KeyError:
        raise UpstreamError(f"unknown WMO weather code {code}") from None


def reason(body: bytes) -> str:
    """Open-Meteo's own explanation, ``{"error": true, "reason": "..."}``, if it sent one."""
    try:
        return _ErrorAnswer.model_validate_json(body).reason[:200]
    except ValidationError:
        return "no reason given"


class _ErrorAnswer(BaseModel):
    error: Literal[True]
    reason: str
