"""The Redis store's timer loop: sweep when the earliest deadline comes, as memory's
``TimerLoop`` does, on every replica.

The deadlines live in Redis (``lua/lib_records.lua``), so any replica's sweep fires what is
due, once: the script removes each deadline as it acts on it. The loop sleeps until the
earliest one it knows of: its own sweep answers the next, and a sooner one set anywhere is
announced (``t:`` wake-ups, see ``app.tasks.redis_waits``). It is also safe to skip: every
script sweeps first, so a test that moves a ``ManualClock`` sees deadlines fire on its next
call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from app.clock import Clock

log = logging.getLogger("app.tasks")

RETRY_S = 1.0
"""After a failed sweep (Redis away), the next try comes this much later."""


class TimerLoop:
    """Runs ``sweep`` (which answers the next deadline) whenever the earliest deadline comes."""

    def __init__(self, clock: Clock, sweep: Callable[[], Awaitable[float | None]]) -> None:
        self._clock = clock
        self._sweep = sweep
        self._planned: float | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        """Sweep once now (what came due while no replica ran), then loop."""
        self._planned = await self._sweep()
        self._task = asyncio.create_task(self._run(), name="tasks-timers")

    async def stop(self) -> None:
        # The flag as well as the cancel: redis-py may turn a cancel that races its own
        # timeout into a TimeoutError, which the loop survives (it logs and retries).
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def sooner(self, when: float) -> None:
        """A deadline at ``when`` was set: wake up for it, if it is the earliest known."""
        if self._planned is None or when < self._planned:
            self._planned = when
            self._wake.set()

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            delay = None if self._planned is None else self._planned - self._clock.time()
            if delay is not None and delay <= 0:
                self._planned = None  # a sooner one announced during the sweep is kept
                try:
                    following = await self._sweep()
                except Exception:
                    # A failure (Redis away, a bug) must not stop every timer; it is logged.
                    log.warning("task timer sweep failed", exc_info=True)
                    self._planned, delay = self._clock.time(), RETRY_S
                else:
                    if following is not None:
                        self.sooner(following)
                    continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()
