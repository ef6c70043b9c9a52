"""What every store backend shares: the context it is built from, and its lifecycle.

A namespace's handlers ask for a store by annotating a parameter with the store's
Protocol (``carts: CartStore``). A backend is a class that implements that Protocol and
``Backend``; the app builds one per Protocol from a ``StoreContext``, opens it before
serving, drains it when shutdown begins, and closes it after the last call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from app.clock import Clock
from app.settings import Settings


@dataclass(frozen=True, slots=True)
class StoreContext:
    """Everything a backend may be built from."""

    settings: Settings
    clock: Clock


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
