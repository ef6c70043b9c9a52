"""Open a store backend for a contract test, the way the app does: build, open, close.

A contract suite parametrizes its store fixture over the backends of one Protocol; a new
backend passes the same suite by adding one ``pytest.param`` to that list (``on_redis`` for
a Redis backend, which then runs on the session's redis-server under a fresh key prefix).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pytest

from app.clock import Clock, ManualClock
from app.settings import Settings
from app.stores import Backend, StoreContext
from tests.helpers import redis_server

B = TypeVar("B", bound=Backend)


@dataclass(frozen=True)
class OnRedis(Generic[B]):
    """A Redis backend's factory: ``opened`` gives it a Redis to run on."""

    factory: Callable[[StoreContext], B]

    def __call__(self, context: StoreContext) -> B:
        return self.factory(context)


def on_redis(factory: Callable[[StoreContext], Backend], id: str = "redis") -> Any:
    """A ``BACKENDS`` entry for a Redis backend (skipped where redis-server is missing)."""
    return pytest.param(OnRedis(factory), id=id, marks=redis_server.needs_redis)


@asynccontextmanager
async def opened(
    factory: Callable[[StoreContext], B], clock: Clock | None = None, **settings: Any
) -> AsyncIterator[B]:
    """A backend built from settings overrides on ``clock`` (a fresh ManualClock by default)."""
    if isinstance(factory, OnRedis):
        settings.setdefault("store", redis_server.shared().url)
        settings.setdefault("redis_prefix", redis_server.fresh_prefix())
    context = StoreContext.from_settings(
        dataclasses.replace(Settings(), **settings), clock or ManualClock()
    )
    if context.redis is not None:
        await context.redis.open()
    try:
        store = factory(context)
        await store.open()
        try:
            yield store
        finally:
            await store.close()
    finally:
        if context.redis is not None:
            await context.redis.close()
