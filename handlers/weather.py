"""weather.*: temperatures, current conditions and forecasts for the world's cities.

Cities come from GeoNames (every place of 15,000 people or more). Readings come from the
offline climate model, or from Open-Meteo with `--weather-provider open-meteo`; each result
says which (`provider`), and whether the model stood in for a failed upstream (`fallback`).
`weather.subscribe` streams a city's readings every few seconds (the seed's StreamData).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from pydantic import Discriminator, Field, Tag

from app.rpc.context import CallContext
from app.rpc.errors import RPCError
from app.rpc.namespace import Method, Namespace
from app.rpc.subscriptions import Subscribed, Subscription
from app.rpc.types import Number
from app.rpc.unsubscribe import unsubscribe_method
from app.weather.errors import BelowAbsoluteZero, CityNotFound
from app.weather.models import (
    CityInfo,
    CurrentWeather,
    Emoji,
    Forecast,
    TemperatureReading,
    Units,
)
from app.weather.store import WeatherStore
from handlers.examples import weather as examples


def _name_or_id(value: object) -> str | None:
    if isinstance(value, str):
        return "name"
    return "id" if isinstance(value, int) and not isinstance(value, bool) else None


CityParam = Annotated[
    Annotated[Annotated[str, Field(min_length=1, max_length=100)], Tag("name")]
    | Annotated[Annotated[int, Field(ge=1)], Tag("id")],
    Discriminator(
        _name_or_id,
        custom_error_type="city_type",
        custom_error_message="Input should be a city name or a GeoNames id",
    ),
    Field(
        description="A city's name (any case, accents optional, many local names too), or its "
        "GeoNames id (`id` in search results), which tells namesakes apart.",
    ),
]
Country = Annotated[
    str | None,
    Field(
        pattern="^[A-Za-z]{2}$",
        description="ISO 3166-1 alpha-2 country code, to choose among cities of the same name.",
    ),
]
UnitsParam = Annotated[Units, Field(description="Celsius, Fahrenheit or Kelvin.")]


async def get_temperature(
    weather: WeatherStore, city: CityParam, country: Country = None, units: UnitsParam = "C"
) -> TemperatureReading:
    """The temperature in a city now.

    An ambiguous name means its most populous city unless `country` is given.
    """
    return await weather.get_temperature(city, country, units)


async def get_emoji(
    weather: WeatherStore,
    temperature: Annotated[Number, Field(description="A temperature in `units`.")],
    units: UnitsParam = "C",
) -> Emoji:
    """🥶 below 10 °C, 😊 below 20 °C, 🥵 otherwise; thresholds apply after exact conversion."""
    return await weather.get_emoji(temperature, units)


async def current(
    weather: WeatherStore, city: CityParam, country: Country = None, units: UnitsParam = "C"
) -> CurrentWeather:
    """The weather in a city now: temperature, feels-like, humidity, wind and condition.

    `observed_at` is in the city's own time zone. Wind is in km/h whatever `units` is.
    """
    return await weather.current(city, country, units)


async def forecast(
    weather: WeatherStore,
    city: CityParam,
    country: Country = None,
    days: Annotated[int, Field(ge=1, le=14, description="How many days, from today.")] = 3,
    units: UnitsParam = "C",
) -> Forecast:
    """Daily high, low, condition and chance of precipitation, from the city's today."""
    return await weather.forecast(city, country, days, units)


async def search_cities(
    weather: WeatherStore,
    query: Annotated[
        str, Field(min_length=1, max_length=100, description="The start of a city's name.")
    ],
    limit: Annotated[int, Field(ge=1, le=50)] = 10,
) -> list[CityInfo]:
    """Cities whose name starts with `query`, case- and accent-insensitively, by population."""
    return await weather.search_cities(query, limit)


async def subscribe(
    weather: WeatherStore,
    ctx: CallContext,
    city: CityParam,
    country: Country = None,
    interval_s: Annotated[
        float,
        Field(ge=1, le=3600, allow_inf_nan=False, description="Seconds between readings."),
    ] = 10,
    units: UnitsParam = "C",
) -> Subscribed:
    """A city's current weather now, then every `interval_s` seconds, until unsubscribed.

    Each notification's `result` is a reading, as weather.current answers it (its
    `provider` and `fallback` included). An unknown city fails here, with 2001, before
    anything is streamed. Readings have no history: nothing to resume. A failing live
    provider does not stop the stream (the offline model answers, `fallback` true); any
    other error ends it, with one last notification holding the error. Needs a WebSocket or
    `Accept: text/event-stream`.
    """
    ctx.require_stream()  # over plain HTTP, say so before doing any work
    first = await weather.current(city, country, units)
    async with ctx.subscription("weather") as subscription:
        subscription.push(first.model_dump(mode="json"))
        # By id from now on: no name to resolve again, and no namesake to drift to.
        subscription.spawn(_readings(weather, subscription, first.city.id, interval_s, units))
        return subscription.subscribed()


async def _readings(
    weather: WeatherStore, subscription: Subscription, city: int, interval_s: float, units: Units
) -> None:
    """A reading every `interval_s` for as long as the subscription lives."""
    while True:
        await asyncio.sleep(interval_s)  # the product's own pace, not the store's clock
        try:
            reading = await weather.current(city, None, units)
        except RPCError as error:
            # End, told, rather than skip: the store already answers a failing provider with
            # the model, so an error here is one the next tick would likely meet again.
            subscription.end(error)
            return
        subscription.push(reading.model_dump(mode="json"))


# Rate-limit units (calc.add: 1, 2.5 us in process). A name resolves in 20-80 us, but an
# unknown one's "did you mean" search takes 0.15-0.4 ms: dearer, yet not so dear that a
# client's 200 cities (current, forecast and temperature each) exceed the default burst.
_NAME_COST = 2
namespace = Namespace(
    "weather",
    [
        Method(
            get_temperature,
            idempotent=True,
            errors=[CityNotFound],
            examples=examples.GET_TEMPERATURE,
            cost=_NAME_COST,
        ),
        Method(get_emoji, idempotent=True, errors=[BelowAbsoluteZero], examples=examples.GET_EMOJI),
        Method(
            current,
            idempotent=True,
            errors=[CityNotFound],
            examples=examples.CURRENT,
            cost=_NAME_COST,
        ),
        Method(
            forecast,
            idempotent=True,
            errors=[CityNotFound],
            examples=examples.FORECAST,
            cost=3,  # 14 days of a city not asked about lately: 1.2 ms (warm: 0.16 ms)
        ),
        # 35 us with 50 results, mostly their serialization: as cheap as a call gets here.
        Method(search_cities, idempotent=True, examples=examples.SEARCH_CITIES),
        # Its readings are work no later call pays for, so opening one costs more than a call.
        Method(subscribe, errors=[CityNotFound], examples=examples.SUBSCRIBE, cost=10),
        unsubscribe_method("weather"),
    ],
)
