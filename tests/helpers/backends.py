"""Open a store backend for a contract test, the way the app does: build, open, close.

A contract suite parametrizes its store fixture over the backends of one Protocol; a new
backend passes the same suite by adding one ``pytest.param`` to that list.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from app.clock import Clock, ManualClock
from app.settings import Settings
from app.stores import Backend, StoreContext

B = TypeVar("B", bound=Backend)


@asynccontextmanager
async def opened(
    factory: Callable[[StoreContext], B], clock: Clock | None = None, **settings: Any
) -> AsyncIterator[B]:
    """A backend built from settings overrides on ``clock`` (a fresh ManualClock by default)."""
    context = StoreContext(dataclasses.replace(Settings(), **settings), clock or ManualClock())
    store = factory(context)
    await store.open()
    try:
        yield store
    finally:
        await store.close()
