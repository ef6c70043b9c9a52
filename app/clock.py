"""Time, as the store sees it: injectable so tests can move it instead of sleeping.

Domains read ``clock.time()`` for timestamps and deadlines (cooldowns, leases, expiry) and
evaluate them when an operation runs, so a test that advances a ``ManualClock`` sees every
deadline pass at once. Waiting (long-polls, timers) still uses asyncio; code that sleeps until
a deadline should also be woken by the operations that change what it waits for.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float:
        """Seconds since the epoch (UTC)."""
        ...


class SystemClock:
    def time(self) -> float:
        return time.time()


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._now += seconds
