"""The weather's metrics, on every backend: requests to the live provider by outcome, answers
from its cache, and answers the offline model gave for it; all zero with the model alone."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.clock import ManualClock
from app.stores import Backend, StoreContext
from app.weather.memory import MemoryWeatherStore
from app.weather.redis import RedisWeatherStore
from app.weather.store import WeatherStore
from tests.helpers.backends import on_redis, opened
from tests.helpers.openmeteo_standin import OpenMeteoStandIn
from tests.helpers.samples import Series, measure, value

Factory = Callable[[StoreContext], Backend]
BACKENDS = [pytest.param(MemoryWeatherStore, id="memory"), on_redis(RedisWeatherStore)]


def tally(found: Series) -> dict[str, float]:
    return {
        "ok": value(found, "rpc_weather_provider_calls_total", outcome="ok"),
        "error": value(found, "rpc_weather_provider_calls_total", outcome="error"),
        "hits": value(found, "rpc_weather_cache_hits_total"),
        "fallbacks": value(found, "rpc_weather_fallbacks_total"),
    }


async def test_the_offline_model_alone_counts_nothing(backend: Factory, clock: ManualClock) -> None:
    async with opened(backend, clock) as weather:
        assert isinstance(weather, WeatherStore)
        await weather.current("Paris", None, "C")
        assert tally(await measure(weather)) == {"ok": 0, "error": 0, "hits": 0, "fallbacks": 0}


async def test_provider_calls_cache_hits_and_fallbacks_are_counted(
    backend: Factory, upstream: OpenMeteoStandIn
) -> None:
    live = {"weather_provider": "open-meteo", "weather_url": upstream.url}
    async with opened(backend, upstream.clock, **live) as weather:
        assert isinstance(weather, WeatherStore)
        await weather.current("Paris", None, "C")
        await weather.forecast("Paris", None, 3, "C")  # from the cache
        assert tally(await measure(weather)) == {"ok": 1, "error": 0, "hits": 1, "fallbacks": 0}
        upstream.mode = "500"
        assert (await weather.current("Lyon", None, "C")).fallback
        assert (await weather.forecast("Lyon", None, 3, "C")).fallback  # not asked again yet
        assert tally(await measure(weather)) == {"ok": 1, "error": 1, "hits": 1, "fallbacks": 2}
        assert upstream.requests == 2
