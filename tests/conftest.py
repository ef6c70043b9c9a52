"""Fixtures shared by every kind of test: settings, the probe namespace, and app clients."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pytest

from app.cart.payment import Processor
from app.clock import Clock, ManualClock
from app.plugins import Plugin
from app.server import create_app
from app.settings import Settings
from app.weather import cities
from tests.helpers.cart import recording
from tests.helpers.openmeteo_standin import NOW, OpenMeteoStandIn
from tests.helpers.probe import Probe
from tests.helpers.rpc import Client, MakeClient
from tests.helpers.tasks import Queue, make_queue


@pytest.fixture(scope="session", autouse=True)
def city_index() -> None:
    """Test apps find the city index read, as a warm server does (once, about 30 ms): else
    the first app of a run would answer /readyz 503 "starting" while it loads."""
    cities.load()


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def probe() -> Probe:
    return Probe()


@pytest.fixture
def processors() -> list[Processor]:
    """The card processors of the test's apps, so a test can count charges (helpers.cart)."""
    return []


@pytest.fixture
def make_client(aiohttp_client: Any, probe: Probe, processors: list[Processor]) -> MakeClient:
    """Build a fresh app (with the probe namespace) from settings overrides, and a client.

    Pass ``clock=ManualClock()`` to move time in a test instead of waiting for it.
    """

    async def make(
        plugins: Sequence[Plugin] | None = None,
        clock: Clock | None = None,
        **overrides: Any,
    ) -> Client:
        settings = dataclasses.replace(Settings(), **overrides)
        if plugins is None:
            plugins = (recording(processors), Plugin([probe.namespace]))
        client: Client = await aiohttp_client(create_app(settings, plugins, clock=clock))
        return client

    return make


@pytest.fixture
async def client(make_client: MakeClient) -> Client:
    return await make_client()


@pytest.fixture
async def q(make_client: MakeClient) -> Queue:
    """tasks.* through /rpc, with helpers for each step of a task's life."""
    return await make_queue(make_client)


@pytest.fixture
async def upstream(aiohttp_server: Any) -> OpenMeteoStandIn:
    """A local Open-Meteo stand-in on a ManualClock starting at ``NOW``."""
    standin = OpenMeteoStandIn(ManualClock(NOW))
    server = await aiohttp_server(standin.app())
    standin.url = str(server.make_url("/v1/forecast"))
    return standin


@pytest.fixture
def clock() -> ManualClock:
    """Time that moves only when a test says so (2027-01-15T08:00:00Z to start)."""
    return ManualClock()
