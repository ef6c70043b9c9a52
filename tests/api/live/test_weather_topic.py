"""weather.subscribe over a real WebSocket: a city's readings, at once and then every N seconds.

Readings come at the product's own pace (at least a second apart), so the tests that need a
second reading take about that long; each waits for a frame it expects, never for time.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.clock import ManualClock
from app.plugins import Plugin, Provider
from app.rpc.errors import Overloaded
from app.stores import StoreContext
from app.weather.memory import MemoryWeatherStore
from app.weather.models import CityRef, CurrentWeather, Units
from app.weather.store import WeatherStore
from handlers import weather
from tests.helpers.openmeteo_standin import OpenMeteoStandIn
from tests.helpers.rpc import Client, MakeClient, post, result
from tests.helpers.ws import Socket, connect


@pytest.fixture
async def client(make_client: MakeClient, clock: ManualClock) -> Client:
    return await make_client(clock=clock)


async def barrier(socket: Socket) -> list[dict[str, Any]]:
    """Every notification queued before an answer to a call made now (answers leave the
    outbox after what was queued before them), taken from the socket."""
    assert await socket.result("calc.add", [1, 1]) == 2
    taken = []
    while not socket.notifications.empty():
        taken.append(socket.notifications.get_nowait())
    return taken


async def test_the_first_reading_comes_at_once(client: Client) -> None:
    socket = await connect(client)
    params = {"city": "Paris", "units": "F", "interval_s": 3600}
    subscribed = await socket.result("weather.subscribe", params)
    assert (subscribed["epoch"], subscribed["offset"], subscribed["recovered"]) == (None, 0, False)
    first = await socket.notification()  # well before an hour: it came at once
    assert first == {
        "subscription": subscribed["subscription"],
        "result": await result(client, "weather.current", {"city": "Paris", "units": "F"}),
    }
    await socket.close()


async def test_readings_keep_coming_every_interval(client: Client) -> None:
    socket = await connect(client)
    subscribed = await socket.result("weather.subscribe", {"city": 2147714, "interval_s": 1})
    readings = [await socket.notification() for _ in range(3)]
    assert {r["subscription"] for r in readings} == {subscribed["subscription"]}
    assert all("offset" not in r for r in readings)  # no history: nothing to resume
    now = await result(client, "weather.current", {"city": 2147714})
    assert [r["result"] for r in readings] == [now] * 3  # the clock stood still
    assert now["city"]["name"] == "Sydney"
    await socket.close()


async def test_an_unknown_city_fails_at_subscribe(client: Client) -> None:
    socket = await connect(client)
    response = await socket.call("weather.subscribe", {"city": "Atlantiss", "interval_s": 1})
    assert response["error"]["code"] == 2001
    _, current = await post(
        client, {"jsonrpc": "2.0", "method": "weather.current", "params": ["Atlantiss"], "id": 1}
    )
    assert response["error"] == current["error"]  # suggestions and all, as weather.current
    assert await barrier(socket) == []  # and nothing was streamed
    await socket.close()


@pytest.mark.parametrize("interval_s", [0.5, 3601, "fast"])
async def test_intervals_out_of_bounds_are_invalid_params(client: Client, interval_s: Any) -> None:
    socket = await connect(client)
    response = await socket.call("weather.subscribe", {"city": "Paris", "interval_s": interval_s})
    assert response["error"]["code"] == -32602
    assert response["error"]["data"][0]["path"] == "interval_s"
    await socket.close()


async def test_unsubscribe_stops_the_readings(client: Client) -> None:
    socket = await connect(client)
    stopped = await socket.result("weather.subscribe", {"city": "Paris", "interval_s": 1})
    kept = await socket.result("weather.subscribe", {"city": "Lima", "interval_s": 1})
    ended = {"subscription": stopped["subscription"]}
    assert await socket.result("weather.unsubscribe", ended) is True
    await barrier(socket)  # what came before the unsubscribe's answer
    later = [await socket.notification() for _ in range(2)]  # two ticks of the kept one
    later += await barrier(socket)
    assert {r["subscription"] for r in later} == {kept["subscription"]}
    assert await socket.result("weather.unsubscribe", ended) is False
    await socket.close()


async def test_a_failing_provider_does_not_stop_the_stream(
    make_client: MakeClient, upstream: OpenMeteoStandIn
) -> None:
    client = await make_client(
        clock=upstream.clock, weather_provider="open-meteo", weather_url=upstream.url
    )
    upstream.mode = "500"
    socket = await connect(client)
    await socket.result("weather.subscribe", {"city": "Paris", "interval_s": 1})
    readings = [(await socket.notification())["result"] for _ in range(2)]
    assert [(r["provider"], r["fallback"]) for r in readings] == [("offline", True)] * 2
    assert upstream.requests >= 1
    await socket.close()


class GoesDown(MemoryWeatherStore):
    """The memory store, whose readings fail after the first with -32005 (as a store whose
    backend stopped answering would)."""

    def __init__(self, context: StoreContext) -> None:
        super().__init__(context)
        self.readings = 0

    async def current(self, city: CityRef, country: str | None, units: Units) -> CurrentWeather:
        self.readings += 1
        if self.readings > 1:
            raise Overloaded(data={"reason": "the store did not answer", "retry_after_s": 1})
        return await super().current(city, country, units)


async def test_a_store_error_ends_the_subscription_with_it(
    make_client: MakeClient, clock: ManualClock
) -> None:
    plugin = Plugin([weather.namespace], stores=[Provider(WeatherStore, memory=GoesDown)])
    client = await make_client(plugins=[plugin], clock=clock)
    socket = await connect(client)
    subscribed = await socket.result("weather.subscribe", {"city": "Paris", "interval_s": 1})
    first, last = await socket.notification(), await socket.notification()
    assert first["result"]["city"]["name"] == "Paris"
    assert last == {
        "subscription": subscribed["subscription"],
        "error": {
            "code": -32005,
            "message": "Server overloaded",
            "data": {"reason": "the store did not answer", "retry_after_s": 1},
        },
    }
    ended = {"subscription": subscribed["subscription"]}
    assert await socket.result("weather.unsubscribe", ended) is False  # it is over
    await socket.close()
