"""weather.*: the methods as a client sees them: examples, params, results and OpenRPC."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from app.clock import ManualClock
from app.rpc.openrpc import DATE_TIME_PATTERN
from app.server import build_api
from app.settings import Settings
from handlers import weather
from tests.helpers.rpc import Client, MakeClient, call, error, result


def without_populations(value: Any) -> Any:
    """Population figures change between dataset releases; everything else must not."""
    if isinstance(value, dict):
        return {k: "…" if k == "population" else without_populations(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_populations(v) for v in value]
    return value


async def test_every_example_is_what_the_server_answers(make_client: MakeClient) -> None:
    client = await make_client(clock=ManualClock())  # the examples' instant
    methods = weather.namespace.declared()
    assert all(m.examples for m in methods)
    # subscribe and unsubscribe need a stream: tests/api/live/test_weather_topic.py
    for method in (m for m in methods if not (m.name or m.func.__name__).endswith("subscribe")):
        for example in method.examples:
            answer = await result(client, f"weather.{method.func.__name__}", example.params)
            assert without_populations(answer) == without_populations(example.result), (
                method.func.__name__,
                example.name,
            )


def test_openrpc_declares_errors_and_precise_results() -> None:
    _, document = build_api(Settings())
    methods = {m["name"]: m for m in document["methods"] if m["name"].startswith("weather.")}
    assert set(methods) == {
        "weather.get_temperature",
        "weather.get_emoji",
        "weather.current",
        "weather.forecast",
        "weather.search_cities",
        "weather.subscribe",
        "weather.unsubscribe",
    }
    for name in ("weather.get_temperature", "weather.current", "weather.forecast"):
        assert methods[name]["errors"] == [{"code": 2001, "message": "City not found"}]
        assert [p["name"] for p in methods[name]["params"]][:2] == ["city", "country"]
    assert methods["weather.get_emoji"]["errors"] == [
        {"code": 2002, "message": "Temperature below absolute zero"}
    ]
    assert methods["weather.get_emoji"]["result"]["schema"]["enum"] == ["🥶", "😊", "🥵"]
    schemas = document["components"]["schemas"]
    current = schemas["CurrentWeather"]["properties"]
    assert current["units"]["enum"] == ["C", "F", "K"]
    assert "snow" in current["condition"]["enum"]
    # A pattern, not `format`: OpenRPC's checker (Ajv 7, strict) cannot compile formats.
    assert current["observed_at"]["pattern"] == DATE_TIME_PATTERN
    assert "format" not in current["observed_at"]
    assert current["humidity_pct"] == {
        "maximum": 100,
        "minimum": 0,
        "title": "Humidity Pct",
        "type": "integer",
    }
    days = schemas["Forecast"]["properties"]["days"]
    assert days["items"] == {"$ref": "#/components/schemas/DayForecast"}


@pytest.mark.parametrize(
    ("method", "params", "path"),
    [
        ("weather.forecast", {"city": "Paris", "days": 0}, "days"),
        ("weather.forecast", {"city": "Paris", "days": 15}, "days"),
        ("weather.forecast", {"city": "Paris", "days": "3"}, "days"),
        ("weather.current", {"city": "Paris", "units": "c"}, "units"),
        ("weather.get_temperature", ["Paris", None, "Celsius"], "units"),
        ("weather.current", {"city": "Paris", "when": "now"}, "when"),
        ("weather.current", {}, "city"),
    ],
)
async def test_bad_params_are_named(client: Client, method: str, params: Any, path: str) -> None:
    err = await error(client, method, params)
    assert err["code"] == -32602
    assert [p["path"] for p in err["data"]] == [path]


async def test_params_by_position(client: Client) -> None:
    kelvin = await result(client, "weather.get_temperature", ["Paris", "FR", "K"])
    assert (kelvin["units"], kelvin["city"]["country"]) == ("K", "FR")
    week = await result(client, "weather.forecast", ["Sydney", None, 7, "F"])
    assert (len(week["days"]), week["units"]) == (7, "F")


@pytest.mark.parametrize(
    ("when", "offset"),
    [("2027-01-15T00:00:00+00:00", "+11:00"), ("2027-07-15T00:00:00+00:00", "+10:00")],
)
async def test_times_carry_the_city_s_own_offset(
    make_client: MakeClient, when: str, offset: str
) -> None:
    client = await make_client(clock=ManualClock(datetime.fromisoformat(when).timestamp()))
    reading = await result(client, "weather.current", ["Sydney"])
    assert reading["observed_at"].endswith(offset)
    assert reading["observed_at"].startswith(when[:10])  # already the 15th in Sydney


async def test_a_search_result_s_id_asks_for_that_city(client: Client) -> None:
    response = await call(client, "weather.search_cities", ["lond", 1])
    assert response["result"][0]["name"] == "London"
    temperature = await result(client, "weather.get_temperature", [response["result"][0]["id"]])
    emoji = await result(client, "weather.get_emoji", [temperature["temperature"]])
    assert emoji == temperature["emoji"]
