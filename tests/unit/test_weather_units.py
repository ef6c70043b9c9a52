"""weather: units convert exactly both ways, and emoji thresholds hold exactly in every unit."""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.clock import ManualClock
from app.weather import units as u
from app.weather.cities import load
from app.weather.models import Units
from tests.helpers.rpc import Client, MakeClient, error, result

UNITS: tuple[Units, ...] = ("C", "F", "K")
unit = st.sampled_from(UNITS)
decimals = st.decimals(min_value=-1e6, max_value=1e6, places=6, allow_nan=False)


@given(value=decimals, source=unit, target=unit)
def test_round_trips_are_exact(value: Decimal, source: Units, target: Units) -> None:
    x = Fraction(value)
    assert u.convert(u.convert(x, source, target), target, source) == x


@given(value=decimals, a=unit, b=unit, c=unit)
def test_conversions_compose(value: Decimal, a: Units, b: Units, c: Units) -> None:
    x = Fraction(value)
    assert u.convert(u.convert(x, a, b), b, c) == u.convert(x, a, c)


@pytest.mark.parametrize(
    ("c", "f", "k"),
    [("-40", "-40", "233.15"), ("0", "32", "273.15"), ("100", "212", "373.15"),
     ("-273.15", "-459.67", "0"), ("37", "98.6", "310.15")],
)  # fmt: skip
def test_fixed_points(c: str, f: str, k: str) -> None:
    for source, value in (("C", c), ("F", f), ("K", k)):
        x = Fraction(Decimal(value))
        assert u.convert(x, source, "C") == Fraction(Decimal(c))  # type: ignore[arg-type]
        assert u.convert(x, source, "F") == Fraction(Decimal(f))  # type: ignore[arg-type]
        assert u.convert(x, source, "K") == Fraction(Decimal(k))  # type: ignore[arg-type]


@given(celsius=st.floats(min_value=-100, max_value=70), units=unit)
def test_published_readings_agree_exactly_across_units(celsius: float, units: Units) -> None:
    published = u.wire(celsius, units)
    assert Decimal(repr(published)).as_tuple().exponent >= -2  # type: ignore[operator]
    back = u.to_celsius(u.exact(published), units)
    assert back == Fraction(u.wire_celsius(celsius))
    assert abs(back - u.exact(celsius)) <= Fraction(1, 20)


def test_floats_count_as_the_decimals_they_were_written_as() -> None:
    assert u.exact(283.15) == Fraction(28315, 100)
    assert u.exact(0.1) + u.exact(0.2) == u.exact(0.3)
    assert u.exact(-0.0) == 0
    assert str(u.wire_celsius(-0.04)) == "0.0"


@pytest.mark.parametrize(
    ("temperature", "units", "emoji"),
    [
        (9.99, "C", "🥶"), (10, "C", "😊"), (19.99, "C", "😊"), (20, "C", "🥵"),
        (49.99, "F", "🥶"), (50, "F", "😊"), (50.0, "F", "😊"), (67.99, "F", "😊"), (68, "F", "🥵"),
        (283.14, "K", "🥶"), (283.15, "K", "😊"), (293.14, "K", "😊"), (293.15, "K", "🥵"),
        (0, "K", "🥶"), (-459.67, "F", "🥶"), (-273.15, "C", "🥶"), (1e300, "C", "🥵"),
    ],
)  # fmt: skip
async def test_emoji_thresholds_are_exact_in_every_unit(
    client: Client, temperature: float, units: str, emoji: str
) -> None:
    assert await result(client, "weather.get_emoji", [temperature, units]) == emoji


async def test_emoji_defaults_to_celsius(client: Client) -> None:
    assert await result(client, "weather.get_emoji", {"temperature": 15}) == "😊"


@pytest.mark.parametrize(
    ("temperature", "units", "minimum"),
    [(-273.16, "C", -273.15), (-459.68, "F", -459.67), (-0.01, "K", 0.0), (-1e300, "K", 0.0)],
)
async def test_below_absolute_zero_is_refused(
    client: Client, temperature: float, units: str, minimum: float
) -> None:
    err = await error(client, "weather.get_emoji", [temperature, units])
    assert err == {
        "code": 2002,
        "message": "Temperature below absolute zero",
        "data": {"temperature": temperature, "units": units, "minimum": minimum},
    }


@pytest.mark.parametrize(
    ("params", "path"),
    [(["20"], "temperature"), ([True], "temperature"), ([20, "c"], "units"), ([20, "R"], "units")],
)
async def test_emoji_params_are_strict(client: Client, params: list[Any], path: str) -> None:
    err = await error(client, "weather.get_emoji", params)
    assert err["code"] == -32602
    assert [p["path"] for p in err["data"]] == [path]


async def test_a_reading_in_any_unit_converts_exactly_into_the_others(
    make_client: MakeClient,
) -> None:
    client = await make_client(clock=ManualClock())
    for city in random.Random(5).sample(load().cities, 25):
        params = {"city": city.name, "country": city.country}
        by_unit = {
            units: await result(client, "weather.current", {**params, "units": units})
            for units in UNITS
        }
        forecasts = {
            units: await result(client, "weather.forecast", {**params, "units": units, "days": 2})
            for units in UNITS
        }
        for units in UNITS:
            assert by_unit[units]["units"] == units
            for field in ("temperature", "feels_like"):
                celsius = u.exact(by_unit["C"][field])
                assert u.to_celsius(u.exact(by_unit[units][field]), units) == celsius
            for day, day_c in zip(forecasts[units]["days"], forecasts["C"]["days"], strict=True):
                for field in ("high", "low"):
                    assert u.to_celsius(u.exact(day[field]), units) == u.exact(day_c[field])
        assert by_unit["C"]["emoji"] == u.emoji(u.exact(by_unit["C"]["temperature"]))
