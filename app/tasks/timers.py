"""Deadlines on the store clock, and the one background loop that fires them.

Transitions that depend on time (a lease lapsing, a delay ending, a worker going quiet, a
task waiting too long, a result expiring) are entries in one heap. ``due(now)`` hands back
the entries whose time has come; the queue checks each against the current state, so a
stale entry (a lease since renewed, a task since finished) is harmless.

The loop sleeps until the earliest deadline and is woken early when a sooner one is added;
it never polls. It is also safe to skip: the queue sweeps due deadlines at the start of
every operation, so a test that moves a ``ManualClock`` sees them fire on its next call.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
from collections.abc import Callable, Iterable
from enum import Enum
from itertools import count

from app.clock import Clock

log = logging.getLogger("app.tasks")


class Kind(Enum):
    LEASE = "lease"
    """A running task's lease may have lapsed (or its timeout passed)."""
    READY = "ready"
    """A scheduled task's run time may have come."""
    WORKER = "worker"
    """A worker may have missed its heartbeats."""
    EXPIRE = "expire"
    """A finished task's result may have expired."""
    WAIT = "wait"
    """A task that has not run yet may have waited past ``task_pending_ttl_s``."""
    CACHE = "cache"
    """A cached result may have expired."""


_Entry = tuple[float, int, Kind, str]


class Deadlines:
    def __init__(self) -> None:
        self._heap: list[_Entry] = []
        self._seq = count()
        self.changed: Callable[[float], None] = lambda when: None
        """Called with the time of a new deadline (the loop wakes if it is the earliest)."""

    def add(self, when: float, kind: Kind, key: str) -> None:
        heapq.heappush(self._heap, (when, next(self._seq), kind, key))
        self.changed(when)

    def due(self, now: float) -> list[tuple[Kind, str]]:
        """Remove and return every entry whose time is ``now`` or earlier, in time order."""
        fired: list[tuple[Kind, str]] = []
        while self._heap and self._heap[0][0] <= now:
            _, _, kind, key = heapq.heappop(self._heap)
            fired.append((kind, key))
        return fired

    def next_at(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def __len__(self) -> int:
        return len(self._heap)

    def rebuild(self, entries: Iterable[tuple[float, Kind, str]]) -> None:
        """Replace every entry with these (the records' own deadlines, one each), so stale
        and repeated ones cannot pile up."""
        self._heap = [(when, next(self._seq), kind, key) for when, kind, key in entries]
        heapq.heapify(self._heap)
        if self._heap:
            self.changed(self._heap[0][0])


class TimerLoop:
    """Runs ``sweep`` whenever the earliest deadline comes; owned by the store's lifecycle."""

    def __init__(self, deadlines: Deadlines, clock: Clock, sweep: Callable[[], None]) -> None:
        self._deadlines = deadlines
        self._clock = clock
        self._sweep = sweep
        self._wake = asyncio.Event()
        self._planned: float | None = None
        self._task: asyncio.Task[None] | None = None
        deadlines.changed = self._on_new_deadline

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="tasks-timers")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _on_new_deadline(self, when: float) -> None:
        if self._planned is None or when < self._planned:
            self._wake.set()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                self._sweep()
            except Exception:
                # A bug in one transition must not stop every timer; it is logged loudly.
                log.exception("task timer sweep failed")
            self._planned = self._deadlines.next_at()
            delay = None if self._planned is None else max(0.0, self._planned - self._clock.time())
            try:
                async with asyncio.timeout(delay):
                    await self._wake.wait()
            except TimeoutError:
                pass
