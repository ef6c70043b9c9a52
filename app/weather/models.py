"""What weather.* methods return: precise pydantic models, built from provider readings.

Temperatures are published as described in ``units``: rounded once to 0.1 °C, then converted
exactly. Times are ISO 8601 with the city's UTC offset.
"""

from __future__ import annotations

import typing
from datetime import date, datetime
from fractions import Fraction
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.weather import units as u
from app.weather.cities import City
from app.weather.readings import Condition, DayOutlook, Observation, ProviderName, Report
from app.weather.units import Emoji, Units

Finite = Annotated[float, Field(allow_inf_nan=False)]
Temperature = Annotated[float, Field(allow_inf_nan=False, description="In the requested units.")]
Compass = Literal[
    "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
    "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW",
]  # fmt: skip
_COMPASS: tuple[Compass, ...] = typing.get_args(Compass)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CityInfo(_Model):
    """A city of the dataset, as resolved."""

    id: int = Field(description="GeoNames id.")
    name: str
    country: str = Field(description="ISO 3166-1 alpha-2 code.", pattern="^[A-Z]{2}$")
    country_name: str
    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]
    population: Annotated[int, Field(ge=0)]
    timezone: str = Field(description="IANA time zone name.")

    @classmethod
    def of(cls, city: City) -> CityInfo:
        return cls(
            id=city.id,
            name=city.name,
            country=city.country,
            country_name=city.country_name,
            latitude=city.latitude,
            longitude=city.longitude,
            population=city.population,
            timezone=city.timezone,
        )


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


def temperature_reading(
    city: City, report: Report[Observation], units: Units
) -> TemperatureReading:
    """The published form of an observation's temperature."""
    reading = report.value
    return TemperatureReading(
        city=CityInfo.of(city),
        temperature=u.wire(reading.temperature_c, units),
        units=units,
        emoji=_emoji(reading.temperature_c),
        observed_at=reading.observed_at,
        provider=report.provider,
        fallback=report.fallback,
    )


def current_weather(city: City, report: Report[Observation], units: Units) -> CurrentWeather:
    """The published form of an observation."""
    reading = report.value
    return CurrentWeather(
        city=CityInfo.of(city),
        observed_at=reading.observed_at,
        units=units,
        temperature=u.wire(reading.temperature_c, units),
        feels_like=u.wire(reading.feels_like_c, units),
        humidity_pct=reading.humidity_pct,
        wind_speed_kmh=reading.wind_speed_kmh,
        wind_direction_deg=reading.wind_direction_deg,
        wind_direction=_COMPASS[round(reading.wind_direction_deg / 22.5) % 16],
        condition=reading.condition,
        is_day=reading.is_day,
        emoji=_emoji(reading.temperature_c),
        provider=report.provider,
        fallback=report.fallback,
    )


def forecast(city: City, report: Report[list[DayOutlook]], units: Units) -> Forecast:
    """The published form of a forecast."""
    return Forecast(
        city=CityInfo.of(city),
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


def _emoji(celsius: float) -> Emoji:
    # Of the published value, so the emoji agrees with the number the client sees.
    return u.emoji(Fraction(u.wire_celsius(celsius)))
