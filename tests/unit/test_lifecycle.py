"""An app's stores open in order, and whatever opened is closed, whatever fails."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import pytest

from app.clock import ManualClock
from app.plugins import Plugin, Provider
from app.server.lifecycle import Stores
from app.settings import Settings
from app.stores import Backend, StoreContext

EVENTS: list[str] = []


@runtime_checkable
class First(Protocol): ...


@runtime_checkable
class Second(Protocol): ...


@runtime_checkable
class Third(Protocol): ...


def backend(name: str, *, open_fails: bool = False, close_fails: bool = False) -> type:
    class Recorded(Backend):
        def __init__(self, context: StoreContext) -> None:
            pass

        async def open(self) -> None:
            EVENTS.append(f"open {name}")
            if open_fails:
                raise OSError(f"{name} is unreachable")

        async def close(self) -> None:
            EVENTS.append(f"close {name}")
            if close_fails:
                raise OSError(f"{name} hung up")

    return Recorded


def stores(*providers: Provider) -> Stores:
    EVENTS.clear()
    return Stores([Plugin([], providers)], StoreContext(Settings(), ManualClock()))


async def test_a_store_that_fails_to_open_closes_those_opened_before_it() -> None:
    app = stores(
        Provider(First, memory=backend("first")),
        Provider(Second, memory=backend("second", open_fails=True)),
        Provider(Third, memory=backend("third")),
    )
    with pytest.raises(OSError, match="second is unreachable"):
        await app.open()
    assert EVENTS == ["open first", "open second", "close first"]
    assert not app.ready


async def test_closing_goes_on_past_a_store_that_fails_to_close() -> None:
    app = stores(
        Provider(First, memory=backend("first")),
        Provider(Second, memory=backend("second", close_fails=True)),
        Provider(Third, memory=backend("third")),
    )
    await app.open()
    assert app.ready
    await app.close()
    assert EVENTS[3:] == ["close third", "close second", "close first"]


def test_two_plugins_may_not_provide_the_same_store() -> None:
    with pytest.raises(ValueError, match="two plugins provide First"):
        stores(Provider(First, memory=backend("a")), Provider(First, memory=backend("b")))
