"""What every store backend shares: the context it is built from, and its lifecycle.

A namespace's handlers ask for a store by annotating a parameter with the store's
Protocol (``carts: CartStore``). A backend is a class that implements that Protocol and
``Backend``; the app builds one per Protocol from a ``StoreContext``, opens it before
serving, drains it when shutdown begins, and closes it after the last call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from app.clock import Clock
from app.ids import RANDOM, Ids
from app.settings import Settings

if TYPE_CHECKING:
    from app.redis_link import Link


class StartupError(RuntimeError):
    """The stores cannot start as configured; the message tells the operator why."""


@dataclass(frozen=True, slots=True)
class StoreContext:
    """Everything a backend may be built from."""

    settings: Settings
    clock: Clock
    redis: Link | None = None
    """The process's Redis pool, when ``settings.store`` names a Redis; opened by the app."""
    ids: Ids = RANDOM
    """Where new ids and tokens come from (random, but for demo mode's seeded records)."""

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock) -> StoreContext:
        redis = None
        if settings.store != "memory":
            from app.redis_link import Link  # here: app.redis_link imports this module

            redis = Link(settings.store, settings.redis_prefix, settings.redis_timeout_s)
        return cls(settings, clock, redis)

    def link(self) -> Link:
        """The Redis pool, for a Redis backend; an error if the settings chose memory."""
        if self.redis is None:
            raise RuntimeError("a Redis backend needs RPC_STORE=redis://…")
        return self.redis


class Backend(Protocol):
    """A store's lifecycle. Subclass it to inherit the do-nothing defaults."""

    async def open(self) -> None:
        """Connect or load what the store needs, before the first call."""
        return

    def drain(self) -> None:
        """Shutdown has begun: end long-polls now, and tell clients who ask."""
        return

    async def close(self) -> None:
        """Release what ``open`` took, after the last call."""
        return


@dataclass(frozen=True, slots=True)
class Sample:
    """One value a store reports for the operator's metrics (``rpc_<domain>_<name>``)."""

    name: str
    """``rpc_tasks_pending``, say: the domain's prefix, then what it counts."""
    value: float
    kind: Literal["gauge", "counter"] = "gauge"
    labels: Mapping[str, str] = field(default_factory=dict)
    """Bounded values only (a state, a queue, a currency): never an id, a key or an address."""
    help: str = ""


@runtime_checkable
class Warming(Protocol):
    """A backend that opens at once and loads in the background: until ``ready``, /readyz
    answers 503 "starting" (its calls wait for the load meanwhile)."""

    @property
    def ready(self) -> bool: ...


@runtime_checkable
class Measured(Protocol):
    """A backend that reports metrics; read once per scrape of ``GET /metrics``."""

    async def measure(self) -> list[Sample]: ...
