"""weather: the Open-Meteo provider against a local stand-in (its only test: no internet here).

The stand-in (tests/helpers/openmeteo_standin.py) answers in Open-Meteo's documented format, and can
hang past the timeout, fail, or send malformed answers; the provider must then fall back to
the offline model and say so.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pydantic import ValidationError

from app import settings
from app.clock import ManualClock
from app.weather import units
from app.weather.cities import load
from app.weather.openmeteo import OpenMeteo
from tests.helpers.openmeteo_standin import DAILY_CODES, NOW, OpenMeteoStandIn, temperature_at
from tests.helpers.rpc import Client, MakeClient, post, result

PARIS = load().resolve("Paris")
LiveClient = Callable[..., Awaitable[Client]]


@pytest.fixture
def live(make_client: MakeClient, upstream: OpenMeteoStandIn) -> LiveClient:
    """A client of an app whose weather comes from the stand-in, on the stand-in's clock."""

    async def make(**overrides: Any) -> Client:
        return await make_client(
            clock=upstream.clock,
            weather_provider="open-meteo",
            weather_url=upstream.url,
            **overrides,
        )

    return make


async def test_current_conditions_come_from_upstream(
    live: LiveClient, upstream: OpenMeteoStandIn
) -> None:
    client = await live()
    reading = await result(client, "weather.current", ["Paris"])
    assert reading == {
        "city": reading["city"],
        "observed_at": "2027-01-11T00:15:00+01:00",
        "units": "C",
        "temperature": temperature_at(PARIS.latitude),
        "feels_like": round(temperature_at(PARIS.latitude) - 1.5, 1),
        "humidity_pct": 71,
        "wind_speed_kmh": 13.5,
        "wind_direction_deg": 248,
        "wind_direction": "WSW",
        "condition": "rain",
        "is_day": True,
        "emoji": "🥶",
        "provider": "open-meteo",
        "fallback": False,
    }
    [query] = upstream.queries
    assert query["latitude"] == "48.85341"
    assert query["longitude"] == "2.3488"
    assert query["timezone"] == "Europe/Paris"
    assert query["forecast_days"] == "14"
    assert "temperature_unit" not in query  # Celsius and km/h: the API's defaults


async def test_forecast_days_come_from_upstream(live: LiveClient) -> None:
    client = await live()
    forecast = await result(client, "weather.forecast", {"city": "Paris", "days": 14})
    assert (forecast["provider"], forecast["fallback"]) == ("open-meteo", False)
    days = forecast["days"]
    assert [d["date"] for d in days][:2] == ["2027-01-11", "2027-01-12"]  # Paris's today
    expected = ["rain", "cloudy", "clear", "thunderstorm", "snow", "fog", "drizzle"]
    assert [d["condition"] for d in days][: len(expected)] == expected
    base = temperature_at(PARIS.latitude)
    for i, day in enumerate(days):
        assert day["high"] == round(base + 4 + i / 10, 1)
        assert day["low"] == round(base - 5 + i / 10, 1)
        assert day["precipitation_chance_pct"] == (i * 17) % 101
    assert len(DAILY_CODES) > 14


async def test_units_convert_live_readings_exactly(live: LiveClient) -> None:
    client = await live()
    celsius = await result(client, "weather.current", ["Paris"])
    for unit in ("F", "K"):
        other = await result(client, "weather.current", ["Paris", None, unit])
        assert units.to_celsius(units.exact(other["temperature"]), unit) == units.exact(
            celsius["temperature"]
        )


async def test_answers_are_cached_per_city_for_the_ttl(
    live: LiveClient, upstream: OpenMeteoStandIn
) -> None:
    client = await live(weather_cache_ttl_s=600)
    for method in ("weather.current", "weather.get_temperature", "weather.forecast"):
        await result(client, method, ["Paris"])
        await result(client, method, [PARIS.id])
    assert upstream.requests == 1
    await result(client, "weather.current", ["Lyon"])
    assert upstream.requests == 2
    upstream.clock.advance(599)
    await result(client, "weather.forecast", ["Paris"])
    assert upstream.requests == 2
    upstream.clock.advance(1)
    reading = await result(client, "weather.forecast", ["Paris"])
    assert upstream.requests == 3
    assert reading["provider"] == "open-meteo"


async def test_a_new_local_day_asks_again(live: LiveClient, upstream: OpenMeteoStandIn) -> None:
    client = await live(weather_cache_ttl_s=86_400)
    first = await result(client, "weather.forecast", ["New York City"])
    assert first["days"][0]["date"] == "2027-01-10"
    upstream.clock.advance(6 * 3600)  # past midnight in New York
    second = await result(client, "weather.forecast", ["New York City"])
    assert second["days"][0]["date"] == "2027-01-11"
    assert upstream.requests == 2


async def test_a_zero_ttl_asks_every_time(live: LiveClient, upstream: OpenMeteoStandIn) -> None:
    client = await live(weather_cache_ttl_s=0)
    for _ in range(3):
        await result(client, "weather.current", ["Paris"])
    assert upstream.requests == 3


async def test_concurrent_calls_share_one_request(
    live: LiveClient, upstream: OpenMeteoStandIn
) -> None:
    client = await live()
    upstream.mode = "gated"
    batch = [
        {"jsonrpc": "2.0", "method": "weather.current", "params": ["Paris"], "id": i}
        for i in range(5)
    ]

    async def release() -> None:
        await upstream.arrived.wait()
        upstream.gate.set()

    (status, responses), _ = await asyncio.gather(post(client, batch), release())
    assert status == 200
    assert upstream.requests == 1
    assert len({str(r["result"]) for r in responses}) == 1
    assert responses[0]["result"]["provider"] == "open-meteo"


async def offline_reading(make_client: MakeClient, method: str, params: Any) -> Any:
    client = await make_client(clock=ManualClock(NOW))
    expected = await result(client, method, params)
    return {**expected, "fallback": True}


async def test_a_hanging_upstream_times_out_to_the_model(
    live: LiveClient, upstream: OpenMeteoStandIn, make_client: MakeClient
) -> None:
    client = await live(weather_timeout_s=0.2)
    upstream.mode = "hang"
    reading = await result(client, "weather.current", ["Paris"])
    assert reading == await offline_reading(make_client, "weather.current", ["Paris"])
    assert reading["provider"] == "offline"
    assert upstream.requests == 1
    # Just failed: answered from the model at once, without waiting on upstream again.
    forecast = await result(client, "weather.forecast", ["Paris"])
    assert forecast == await offline_reading(make_client, "weather.forecast", ["Paris"])
    assert upstream.requests == 1
    upstream.mode = "ok"
    upstream.clock.advance(30)
    reading = await result(client, "weather.current", ["Paris"])
    assert (reading["provider"], reading["fallback"]) == ("open-meteo", False)
    assert upstream.requests == 2


def _drop(field: str) -> Callable[[dict[str, Any]], None]:
    return lambda answer: answer["current"].pop(field)


def _fahrenheit(answer: dict[str, Any]) -> None:
    answer["current_units"]["temperature_2m"] = "°F"


def _unknown_code(answer: dict[str, Any]) -> None:
    answer["current"]["weather_code"] = 42


def _ragged(answer: dict[str, Any]) -> None:
    answer["daily"]["temperature_2m_max"].pop()


def _null_now(answer: dict[str, Any]) -> None:
    answer["current"]["temperature_2m"] = None


def _yesterday(answer: dict[str, Any]) -> None:
    answer["daily"]["time"][0] = "2027-01-09"
    for column in answer["daily"].values():
        del column[1:]


def _absurd(answer: dict[str, Any]) -> None:
    answer["current"]["temperature_2m"] = 150.0


@pytest.mark.parametrize(
    ("mode", "edit", "reason"),
    [
        ("500", None, "HTTP 500"),
        ("bad-json", None, "unexpected answer"),
        ("huge", None, "too large"),
        ("ok", _drop("apparent_temperature"), "unexpected answer"),
        ("ok", _fahrenheit, "unexpected answer"),
        ("ok", _unknown_code, "unknown WMO weather code 42"),
        ("ok", _ragged, "unexpected answer"),
        ("ok", _null_now, "unexpected answer"),
        ("ok", _yesterday, "does not start with the city's today"),
        ("ok", _absurd, "unexpected answer"),
    ],
)
async def test_a_failing_upstream_falls_back_to_the_model(
    live: LiveClient,
    upstream: OpenMeteoStandIn,
    make_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
    mode: Any,
    edit: Callable[[dict[str, Any]], None] | None,
    reason: str,
) -> None:
    client = await live()
    upstream.mode, upstream.edit = mode, edit
    with caplog.at_level(logging.WARNING, logger="app.weather"):
        reading = await result(client, "weather.current", ["Paris"])
    assert reading == await offline_reading(make_client, "weather.current", ["Paris"])
    assert upstream.requests == 1
    assert any(reason in record.getMessage() for record in caplog.records), caplog.records


async def test_an_upstream_error_answer_is_reported(
    live: LiveClient, upstream: OpenMeteoStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    client = await live()
    upstream.mode = "400"
    with caplog.at_level(logging.WARNING, logger="app.weather"):
        reading = await result(client, "weather.current", ["Paris"])
    assert reading["fallback"] is True
    assert any(
        "HTTP 400: Latitude must be in range of -90 to 90°" in r.getMessage()
        for r in caplog.records
    )


async def test_a_short_forecast_falls_back_only_where_it_is_short(
    live: LiveClient, upstream: OpenMeteoStandIn
) -> None:
    upstream.max_days = 7
    client = await live()
    week = await result(client, "weather.forecast", {"city": "Paris", "days": 7})
    assert (week["provider"], len(week["days"])) == ("open-meteo", 7)
    fortnight = await result(client, "weather.forecast", {"city": "Paris", "days": 10})
    assert (fortnight["provider"], fortnight["fallback"], len(fortnight["days"])) == (
        "offline",
        True,
        10,
    )
    assert (await result(client, "weather.current", ["Paris"]))["provider"] == "open-meteo"
    assert upstream.requests == 1


def _probabilities_for(days: int) -> Callable[[dict[str, Any]], None]:
    """Open-Meteo's precipitation probability reaches fewer days than its temperatures: beyond,
    it sends null (open-meteo/open-meteo#264, for forecast_days=14, as asked here)."""

    def edit(answer: dict[str, Any]) -> None:
        column = answer["daily"]["precipitation_probability_max"]
        column[days:] = [None] * (len(column) - days)

    return edit


async def test_days_beyond_upstream_s_reach_are_the_model_s(
    live: LiveClient, upstream: OpenMeteoStandIn, make_client: MakeClient
) -> None:
    upstream.edit = _probabilities_for(10)
    client = await live()
    reading = await result(client, "weather.current", ["Paris"])
    assert (reading["provider"], reading["fallback"]) == ("open-meteo", False)
    ten = await result(client, "weather.forecast", {"city": "Paris", "days": 10})
    assert (ten["provider"], ten["fallback"], len(ten["days"])) == ("open-meteo", False, 10)
    assert ten["days"][9]["precipitation_chance_pct"] == (9 * 17) % 101
    params = {"city": "Paris", "days": 14}
    fortnight = await result(client, "weather.forecast", params)
    assert fortnight == await offline_reading(make_client, "weather.forecast", params)
    assert upstream.requests == 1


async def test_a_null_today_leaves_only_current_conditions(
    live: LiveClient, upstream: OpenMeteoStandIn
) -> None:
    upstream.edit = _probabilities_for(0)
    client = await live()
    reading = await result(client, "weather.current", ["Paris"])
    assert (reading["provider"], reading["fallback"]) == ("open-meteo", False)
    today = await result(client, "weather.forecast", {"city": "Paris", "days": 1})
    assert (today["provider"], today["fallback"]) == ("offline", True)


async def test_an_unreachable_upstream_falls_back(
    make_client: MakeClient, aiohttp_server: Any
) -> None:
    standin = OpenMeteoStandIn(ManualClock(NOW))
    server = await aiohttp_server(standin.app())
    url = str(server.make_url("/v1/forecast"))
    await server.close()  # nothing listens there any more
    client = await make_client(clock=standin.clock, weather_provider="open-meteo", weather_url=url)
    reading = await result(client, "weather.current", ["Paris"])
    assert (reading["provider"], reading["fallback"]) == ("offline", True)


def test_weather_settings_are_validated() -> None:
    loaded = settings.load(
        environ={
            "RPC_WEATHER_PROVIDER": "open-meteo",
            "RPC_WEATHER_URL": "http://127.0.0.1:9/v1/forecast",
            "RPC_WEATHER_TIMEOUT_S": "1.5",
            "RPC_WEATHER_CACHE_TTL_S": "0",
        }
    )
    assert loaded.weather_provider == "open-meteo"
    assert loaded.weather_url == "http://127.0.0.1:9/v1/forecast"
    assert (loaded.weather_timeout_s, loaded.weather_cache_ttl_s) == (1.5, 0.0)
    for bad in (
        {"RPC_WEATHER_PROVIDER": "accuweather"},
        {"RPC_WEATHER_URL": "file:///etc/passwd"},
        {"RPC_WEATHER_TIMEOUT_S": "0"},
        {"RPC_WEATHER_TIMEOUT_S": "inf"},
        {"RPC_WEATHER_CACHE_TTL_S": "-1"},
    ):
        with pytest.raises(ValidationError):
            settings.load(environ=bad)


async def test_closing_the_provider_cancels_a_fetch_in_flight(upstream: OpenMeteoStandIn) -> None:
    upstream.mode = "hang"
    provider = OpenMeteo(upstream.url, timeout_s=60, ttl_s=600, clock=upstream.clock)
    await provider.open()
    waiting = asyncio.create_task(provider.get(PARIS, NOW))
    await upstream.arrived.wait()
    await provider.close()
    with pytest.raises(asyncio.CancelledError):
        await waiting


async def test_a_caller_that_gives_up_does_not_cancel_the_fetch(
    upstream: OpenMeteoStandIn,
) -> None:
    upstream.mode = "gated"
    provider = OpenMeteo(upstream.url, timeout_s=60, ttl_s=600, clock=upstream.clock)
    await provider.open()
    try:
        impatient = asyncio.create_task(provider.get(PARIS, NOW))
        patient = asyncio.create_task(provider.get(PARIS, NOW))
        await upstream.arrived.wait()
        impatient.cancel()
        upstream.gate.set()
        bundle = await patient
        assert impatient.cancelled()
        assert bundle.current.temperature_c == temperature_at(PARIS.latitude)
        assert await provider.get(PARIS, NOW) is bundle  # cached
        assert upstream.requests == 1
    finally:
        await provider.close()
