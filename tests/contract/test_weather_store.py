"""The ``WeatherStore`` contract: what every backend promises, through its public methods only.

Resolution (by name, id and country; the most populous namesake; suggestions when unknown),
exact units, forecast lengths, readings that are a function of the clock alone, and, with the
live provider, one upstream request per city and local day for the TTL, with the offline model
standing in (flagged) when upstream fails. A new backend passes it by adding one param.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.clock import ManualClock
from app.stores import StoreContext
from app.weather import units as u
from app.weather.cities import fold
from app.weather.errors import BelowAbsoluteZero, CityNotFound
from app.weather.memory import MemoryWeatherStore
from app.weather.models import Units
from app.weather.redis import RedisWeatherStore
from app.weather.store import WeatherStore
from tests.helpers import redis_server
from tests.helpers.backends import OnRedis, on_redis, opened
from tests.helpers.openmeteo_standin import NOW, OpenMeteoStandIn, temperature_at

BACKENDS = [pytest.param(MemoryWeatherStore, id="memory"), on_redis(RedisWeatherStore)]
REDIS = OnRedis(RedisWeatherStore)
UNITS: tuple[Units, ...] = ("C", "F", "K")
PARIS_FR, PARIS_US = 2988507, 4717560
Opener = Callable[..., AbstractAsyncContextManager[WeatherStore]]


@pytest.fixture
def open_store(backend: Callable[[StoreContext], Any]) -> Opener:
    """Opens another store of the same backend, on a clock and settings of the test's choosing."""

    def make(clock: ManualClock, **overrides: Any) -> AbstractAsyncContextManager[WeatherStore]:
        return opened(backend, clock, **overrides)

    return make


@pytest.fixture
async def weather(open_store: Opener, clock: ManualClock) -> AsyncIterator[WeatherStore]:
    async with open_store(clock) as store:
        assert isinstance(store, WeatherStore)
        yield store


# ---- resolution ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("city", "country", "expected"),
    [
        ("Paris", None, PARIS_FR),
        ("PARIS", None, PARIS_FR),
        ("Paris", "US", PARIS_US),
        ("paris", "us", PARIS_US),  # country codes in any case
        (PARIS_US, None, PARIS_US),  # by GeoNames id
        (PARIS_US, "US", PARIS_US),
        ("sao paulo", None, 3448439),  # accents optional
        ("São Paulo", "BR", 3448439),
        ("Wien", None, 2761369),  # an alternate name
    ],
)
async def test_a_city_resolves_by_name_id_and_country(
    weather: WeatherStore, city: str | int, country: str | None, expected: int
) -> None:
    reading = await weather.get_temperature(city, country, "C")
    assert reading.city.id == expected
    for other in (
        (await weather.current(city, country, "C")).city,
        (await weather.forecast(city, country, 1, "C")).city,
    ):
        assert other == reading.city


@pytest.mark.parametrize("name", ["Paris", "Springfield", "San Jose", "Victoria", "London"])
async def test_an_ambiguous_name_means_its_most_populous_city(
    weather: WeatherStore, name: str
) -> None:
    namesakes = [c for c in await weather.search_cities(name, 50) if fold(c.name) == fold(name)]
    assert len(namesakes) > 1
    resolved = (await weather.current(name, None, "C")).city
    assert resolved == max(namesakes, key=lambda c: c.population)
    for namesake in namesakes:  # and each one is still reachable by its id
        assert (await weather.current(namesake.id, None, "C")).city == namesake


async def test_search_is_by_prefix_in_population_order(weather: WeatherStore) -> None:
    found = await weather.search_cities("san", 20)
    assert len(found) == 20
    assert all(fold(c.name).startswith("san") for c in found)
    populations = [c.population for c in found]
    assert populations == sorted(populations, reverse=True)
    assert [c.name for c in await weather.search_cities("sao", 2)] == ["São Paulo", "São Luís"]
    assert await weather.search_cities("zzzzqx", 5) == []


async def test_an_unknown_name_is_not_found_with_suggestions(weather: WeatherStore) -> None:
    paris = {"id": PARIS_FR, "name": "Paris", "country": "FR"}
    with pytest.raises(CityNotFound) as caught:
        await weather.get_temperature("Pariss", None, "C")
    data = caught.value.data
    assert (data["city"], data["country"]) == ("Pariss", None)
    assert 0 < len(data["did_you_mean"]) <= 5
    assert paris in data["did_you_mean"]
    with pytest.raises(CityNotFound) as caught:  # the right name in the wrong country
        await weather.forecast("Paris", "DE", 3, "C")
    assert caught.value.data["did_you_mean"][0] == paris


async def test_an_unknown_id_or_an_id_in_another_country_is_not_found(
    weather: WeatherStore,
) -> None:
    for city, country in ((1, None), (PARIS_FR, "US")):
        with pytest.raises(CityNotFound) as caught:
            await weather.current(city, country, "C")
        assert caught.value.data == {"city": city, "country": country, "did_you_mean": []}


async def test_searches_and_forecasts_let_other_work_run_between_them(
    weather: WeatherStore,
) -> None:
    # Each takes up to a millisecond of CPU: a batch or a flood of them must not hold the event
    # loop from its first to its last, so other calls are answered in between.
    done: list[str] = []

    async def unknown(n: int) -> None:
        with pytest.raises(CityNotFound):
            await weather.current(f"Nowhereville {n}", None, "C")
        done.append("search")

    async def forecast(city: int) -> None:
        await weather.forecast(city, None, 14, "C")
        done.append("forecast")

    async def other() -> None:
        done.append("other")

    calls = [unknown(n) for n in range(5)] + [forecast(PARIS_FR), forecast(PARIS_US), other()]
    await asyncio.gather(*(asyncio.create_task(call) for call in calls))
    assert done.index("other") < len(done) - 1
    assert sorted(done) == ["forecast"] * 2 + ["other"] + ["search"] * 5


# ---- units --------------------------------------------------------------------------------


async def test_readings_in_every_unit_are_the_same_reading_exactly(
    weather: WeatherStore,
) -> None:
    for city in ("Paris", "Sydney", "Norilsk", "Quito", "Reykjavik"):
        celsius = await weather.current(city, None, "C")
        for unit in UNITS:
            other = await weather.current(city, None, unit)
            assert other.units == unit
            for field in ("temperature", "feels_like"):
                back = u.to_celsius(u.exact(getattr(other, field)), unit)
                assert back == u.exact(getattr(celsius, field))
            assert other.emoji == celsius.emoji
            temperature = await weather.get_temperature(city, None, unit)
            assert temperature.temperature == other.temperature
        days = await weather.forecast(city, None, 5, "C")
        for unit in UNITS:
            converted = await weather.forecast(city, None, 5, unit)
            for day, same in zip(days.days, converted.days, strict=True):
                assert u.to_celsius(u.exact(same.high), unit) == u.exact(day.high)
                assert u.to_celsius(u.exact(same.low), unit) == u.exact(day.low)


@pytest.mark.parametrize(
    ("temperature", "units", "emoji"),
    [
        (50, "F", "😊"),  # exactly 10 °C
        (49.99, "F", "🥶"),
        (283.15, "K", "😊"),  # exactly 10 °C, as written
        (283.14, "K", "🥶"),
        (68, "F", "🥵"),  # exactly 20 °C
        (19.99, "C", "😊"),
        (0, "K", "🥶"),
    ],
)
async def test_emoji_thresholds_hold_exactly_in_every_unit(
    weather: WeatherStore, temperature: float, units: Units, emoji: str
) -> None:
    assert await weather.get_emoji(temperature, units) == emoji


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=st.decimals(min_value=-273, max_value=200, places=2, allow_nan=False),
    target=st.sampled_from(UNITS),
)
async def test_emoji_agrees_across_units(
    weather: WeatherStore, value: Decimal, target: Units
) -> None:
    converted = u.from_celsius(Fraction(value), target)  # a decimal of at most 3 places
    written = float(Decimal(converted.numerator) / Decimal(converted.denominator))
    assert await weather.get_emoji(written, target) == await weather.get_emoji(float(value), "C")


@pytest.mark.parametrize(
    ("temperature", "units", "minimum"),
    [(-273.16, "C", -273.15), (-459.68, "F", -459.67), (-0.01, "K", 0.0)],
)
async def test_below_absolute_zero_is_refused(
    weather: WeatherStore, temperature: float, units: Units, minimum: float
) -> None:
    with pytest.raises(BelowAbsoluteZero) as caught:
        await weather.get_emoji(temperature, units)
    assert caught.value.data == {"temperature": temperature, "units": units, "minimum": minimum}


# ---- forecasts and time --------------------------------------------------------------------


@pytest.mark.parametrize("days", [1, 2, 7, 14])
async def test_a_forecast_has_the_days_asked_for_from_the_city_s_today(
    weather: WeatherStore, clock: ManualClock, days: int
) -> None:
    for city in ("Sydney", "Honolulu", "Paris"):
        forecast = await weather.forecast(city, None, days, "C")
        today = datetime.fromtimestamp(clock.time(), forecast.city.zone).date()
        assert [d.date for d in forecast.days] == [today + timedelta(i) for i in range(days)]
        assert all(d.low <= d.high for d in forecast.days)


async def test_readings_are_a_function_of_the_clock(
    weather: WeatherStore, open_store: Opener, clock: ManualClock
) -> None:
    async def snapshot(store: WeatherStore) -> list[Any]:
        return [
            await store.current("Sydney", None, "K"),
            await store.get_temperature(PARIS_US, None, "F"),
            await store.forecast("Sao Paulo", None, 14, "C"),
        ]

    first = await snapshot(weather)
    assert await snapshot(weather) == first
    async with open_store(ManualClock(clock.time())) as other:  # another store, same instant
        assert await snapshot(other) == first
    sydney = first[0]
    assert (sydney.provider, sydney.fallback) == ("offline", False)
    assert sydney.observed_at.timestamp() <= clock.time()
    assert sydney.observed_at.timestamp() % 900 == 0  # a quarter-hour reading
    clock.advance(899 - clock.time() % 900)  # still the same quarter hour
    assert await snapshot(weather) == first
    clock.advance(1)
    later = await snapshot(weather)
    assert later[0].observed_at.timestamp() == sydney.observed_at.timestamp() + 900
    assert later[2] == first[2]  # the same local days


# ---- the live provider ------------------------------------------------------------------------


@pytest.fixture
def live_store(open_store: Opener, upstream: OpenMeteoStandIn) -> Opener:
    """Opens a store whose readings come from the stand-in, on the stand-in's clock."""

    def make(**overrides: Any) -> AbstractAsyncContextManager[WeatherStore]:
        return open_store(
            upstream.clock, weather_provider="open-meteo", weather_url=upstream.url, **overrides
        )

    return make


async def test_live_answers_are_cached_per_city_for_the_ttl(
    live_store: Opener, upstream: OpenMeteoStandIn
) -> None:
    async with live_store(weather_cache_ttl_s=600) as weather:
        paris = await weather.current("Paris", None, "C")
        assert (paris.provider, paris.fallback) == ("open-meteo", False)
        assert paris.temperature == temperature_at(paris.city.latitude)
        await weather.get_temperature(PARIS_FR, None, "K")
        forecast = await weather.forecast("paris", "fr", 14, "F")
        assert (forecast.provider, len(forecast.days)) == ("open-meteo", 14)
        assert upstream.requests == 1
        await weather.current("Lyon", None, "C")
        assert upstream.requests == 2
        upstream.clock.advance(599)
        await weather.forecast("Paris", None, 3, "C")
        assert upstream.requests == 2
        upstream.clock.advance(1)
        assert (await weather.forecast("Paris", None, 3, "C")).provider == "open-meteo"
        assert upstream.requests == 3


async def test_a_new_local_day_asks_again(live_store: Opener, upstream: OpenMeteoStandIn) -> None:
    async with live_store(weather_cache_ttl_s=86_400) as weather:
        first = await weather.forecast("New York City", None, 3, "C")
        assert first.days[0].date == date(2027, 1, 10)
        upstream.clock.advance(6 * 3600)  # past midnight in New York
        second = await weather.forecast("New York City", None, 3, "C")
        assert second.days[0].date == date(2027, 1, 11)
        assert upstream.requests == 2


async def test_a_failing_upstream_is_answered_by_the_model_flagged(
    live_store: Opener, upstream: OpenMeteoStandIn, open_store: Opener
) -> None:
    upstream.mode = "500"
    async with live_store() as weather:
        reading = await weather.current("Paris", None, "C")
        forecast = await weather.forecast("Paris", None, 5, "C")
    assert upstream.requests == 1  # just failed: not asked again at once
    async with open_store(ManualClock(NOW)) as offline:
        assert reading == (await offline.current("Paris", None, "C")).model_copy(
            update={"fallback": True}
        )
        assert forecast == (await offline.forecast("Paris", None, 5, "C")).model_copy(
            update={"fallback": True}
        )
    assert (reading.provider, reading.fallback) == ("offline", True)


# ---- Redis only -------------------------------------------------------------------------------


def live_on_redis(upstream: OpenMeteoStandIn, **settings: Any) -> AbstractAsyncContextManager[Any]:
    """A Redis store whose readings come from the stand-in, on the stand-in's clock."""
    settings.setdefault("weather_cache_ttl_s", 600)
    return opened(
        REDIS, upstream.clock, weather_provider="open-meteo", weather_url=upstream.url, **settings
    )


@redis_server.needs_redis
async def test_replicas_on_one_redis_share_one_open_meteo_answer(
    upstream: OpenMeteoStandIn,
) -> None:
    prefix = redis_server.fresh_prefix()
    async with (
        live_on_redis(upstream, redis_prefix=prefix) as one,
        live_on_redis(upstream, redis_prefix=prefix) as two,
    ):
        reading = await one.current("Paris", None, "C")
        assert await two.current("Paris", None, "C") == reading
        assert (reading.provider, reading.fallback) == ("open-meteo", False)
        assert (await two.forecast("Paris", None, 14, "F")).provider == "open-meteo"
        assert upstream.requests == 1
        upstream.clock.advance(600)  # the TTL, on the stores' clock
        await two.current("Paris", None, "C")
        await one.get_temperature(PARIS_FR, None, "K")
        assert upstream.requests == 2
        async with live_on_redis(upstream) as elsewhere:  # another prefix: another cache
            await elsewhere.current("Paris", None, "C")
        assert upstream.requests == 3


@redis_server.needs_redis
async def test_a_cache_redis_cannot_reach_is_passed_over_for_open_meteo(
    upstream: OpenMeteoStandIn, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = redis_server.RedisServer(tmp_path).start()
    try:
        async with live_on_redis(upstream, store=server.url, redis_timeout_s=0.5) as weather:
            server.stop()
            for expected in (1, 2):  # nothing could be kept, so each call asks
                reading = await weather.current("Paris", None, "C")
                assert (reading.provider, reading.fallback) == ("open-meteo", False)
                assert upstream.requests == expected
    finally:
        server.stop()
    warnings = [r.getMessage() for r in caplog.records if r.name == "app.weather"]
    assert "weather cache: Redis did not answer; asking Open-Meteo" in warnings
    assert all(r.levelno == logging.WARNING for r in caplog.records if r.name == "app.weather")
