"""Every contract suite runs once per backend its module lists in ``BACKENDS``; the store
fixtures that more than one suite of a domain uses are defined here, once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest

from app.clock import ManualClock
from app.game.store import GameStore
from app.stores import Backend, StoreContext
from app.tasks.store import TaskStore
from tests.helpers.backends import opened
from tests.helpers.tasks import TASK_SETTINGS, TaskBackend

Factory = Callable[[StoreContext], Backend]
OpenGame = Callable[..., Awaitable[GameStore]]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # One definition of ``backend`` for every suite: a new backend is one more BACKENDS entry.
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", metafunc.module.BACKENDS)


@pytest.fixture
async def tasks(backend: Factory, clock: ManualClock) -> AsyncIterator[TaskBackend]:
    async with opened(backend, clock, **TASK_SETTINGS) as store:
        assert isinstance(store, TaskStore)
        yield store


@pytest.fixture
async def open_game(backend: Factory, clock: ManualClock) -> AsyncIterator[OpenGame]:
    """Open game stores on the test's clock from settings overrides; all close at the end."""
    async with AsyncExitStack() as stack:

        async def open_(**overrides: Any) -> GameStore:
            overrides.setdefault("game_seed", 7)
            overrides.setdefault("game_cooldown_s", 0.0)
            store = await stack.enter_async_context(opened(backend, clock, **overrides))
            assert isinstance(store, GameStore)
            return store

        yield open_
