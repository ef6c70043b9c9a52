"""Long-polls on Redis: claims waiting for work and gets waiting for a task to finish, in any
replica, woken by what the scripts answer and publish, never by polling.

Every script answers wake-ups (``lua/lib_replies.lua``): ``r`` (tasks became ready),
``f:<worker>`` (a worker has room again, and tasks wait), ``d:<task>`` (it finished),
``g:<worker>`` (it is gone), ``t:<when>`` (a sooner deadline). The replica that ran the script
reacts before its operation answers, as memory's ``_react`` does (``react``); every other
replica hears them on its pub/sub connection (``heard``) and reacts as soon as it can.

Waiting claims are served FIFO within this replica by one ``serve`` script per pass, which
leases to each in turn while tasks are ready. Passes run one at a time; a claim's first try
holds the same lock (a wake-up that comes while it runs is not missed) and serves the claims
waiting before it first, so that none jumps the queue. A claim that waits in vain tries once
more at its deadline (a wake-up may have been lost with the connection), then answers what
it got.

As in ``app.tasks.memory``, a long-poll ends when its future is resolved (by the work, by
draining, or by a ``call_later`` timer), never by ``asyncio.timeout``, which would cancel a
whole batch. Tasks leased to a caller that went away are given back uncharged.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from app.tasks.models import ClaimedTask, TaskView

log = logging.getLogger("app.tasks")

Leased = list[ClaimedTask]
Served = tuple[bool, Leased]
"""A waiting claim's share of a pass: whether its worker is gone, and what it leased."""
Serve = Callable[[Sequence[tuple[str, int]]], Awaitable[tuple[list[Served], list[bytes]]]]
FirstTry = Callable[
    [Sequence[tuple[str, int]]], Awaitable[tuple[Leased, int, list[Served], list[bytes]]]
]
"""A claim's immediate try, serving these (worker, max_tasks) waiting claims first: what it
leased, the worker's room left, what each waiting claim got, the wake-ups."""
GiveBack = Callable[[Leased], Coroutine[Any, Any, None]]


@dataclass(slots=True, eq=False)
class _Claim:
    worker_id: str
    max_tasks: int
    future: asyncio.Future[Leased]
    give_back: GiveBack


class Waits:
    """This replica's waiting claims and gets, and the passes that serve the claims."""

    def __init__(self, serve: Serve, sooner: Callable[[float], None]) -> None:
        self._serve = serve
        self._sooner = sooner
        self._claims: deque[_Claim] = deque()
        self._watchers: dict[str, list[asyncio.Future[None]]] = {}
        self._lock = asyncio.Lock()
        self._wanted: set[str] | None = set()
        """Workers whose claims a later pass should serve (None: every claim)."""
        self._waker: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self.draining = False

    # ---- lifecycle -------------------------------------------------------------------

    def drain(self) -> None:
        """Waiting claims answer ``[]`` and waiting gets return, now and from here on."""
        self.draining = True
        while self._claims:
            _resolve(self._claims.popleft().future, [])
        for futures in self._watchers.values():
            for future in futures:
                _resolve(future, None)

    async def close(self) -> None:
        self.drain()
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)

    # ---- wake-ups --------------------------------------------------------------------

    async def react(self, wakeups: list[bytes]) -> None:
        """This replica's operation left these: serve its claims before it answers."""
        ready, freed = self._apply(wakeups)
        if ready:
            await self.serve(None)
        elif freed:
            await self.serve(freed)

    def heard(self, wakeups: list[bytes]) -> None:
        """Another replica's operation left these: serve the claims as soon as may be."""
        ready, freed = self._apply(wakeups)
        if ready or freed:
            self._later(None if ready else freed)

    def _apply(self, wakeups: list[bytes]) -> tuple[bool, set[str]]:
        """End the waits these wake-ups end; answer whether tasks became ready, and which
        workers have room again."""
        ready, freed = False, set()
        for wakeup in wakeups:
            kind, _, value = wakeup.partition(b":")
            if kind == b"r":
                ready = True
            elif kind == b"f":
                freed.add(value.decode())
            elif kind == b"d":
                for future in self._watchers.pop(value.decode(), []):
                    _resolve(future, None)
            elif kind == b"g":
                for entry in [c for c in self._claims if c.worker_id == value.decode()]:
                    self._claims.remove(entry)
                    _resolve(entry.future, [])
            elif kind == b"t":
                self._sooner(float(value))
        return ready, freed

    def _later(self, workers: set[str] | None) -> None:
        """Serve these workers' claims (None: all) in a pass of their own, soon."""
        if self.draining or not self._claims:
            return
        if workers is None or self._wanted is None:
            self._wanted = None
        else:
            self._wanted |= workers
        if self._waker is None or self._waker.done():
            self._waker = self.spawn(self._serve_wanted())

    async def _serve_wanted(self) -> None:
        while self._wanted is None or self._wanted:
            workers, self._wanted = self._wanted, set()
            await self.serve(workers)

    # ---- claims ----------------------------------------------------------------------

    async def claim(
        self, worker_id: str, max_tasks: int, wait_s: float, first: FirstTry, give_back: GiveBack
    ) -> Leased:
        """Lease now, or wait up to ``wait_s`` for work (FIFO among this replica's claims)."""
        if wait_s <= 0 or self.draining:
            if self._claims:  # claims wait: serve them first, in turn
                async with self._lock:
                    leased, _, wakeups = await self._first(first, self._waiting())
            else:
                leased, _, _older, wakeups = await first(())
            await self._react_holding(leased, wakeups, give_back)
            return leased
        entry = _Claim(worker_id, max_tasks, asyncio.get_running_loop().create_future(), give_back)
        self._claims.append(entry)
        try:
            return await self._wait(entry, wait_s, first)
        except asyncio.CancelledError:
            # The caller is gone (a shutdown, a dropped connection): give back what it got,
            # uncharged, since no worker ever saw it.
            served = _outcome(entry.future)
            if served:
                await asyncio.shield(self.spawn(give_back(served)))
            raise
        finally:
            self._forget(entry)

    async def _wait(self, entry: _Claim, wait_s: float, first: FirstTry) -> Leased:
        async with self._lock:  # no pass serves it until its first try is in
            if entry.future.done():  # served, drained or gone while it queued for the lock
                return entry.future.result()
            older = list(itertools.takewhile(lambda c: c is not entry, self._waiting()))
            leased, room, wakeups = await self._first(first, older)
            waits = not (leased or room == 0 or self.draining or entry.future.done())
            if not waits:
                self._forget(entry)
        if not waits:
            await self._react_holding(leased, wakeups, entry.give_back)
            return leased
        timer = asyncio.get_running_loop().call_later(wait_s, self._spawn_last_try, entry)
        try:
            await self.react(wakeups)
            return await entry.future
        finally:
            timer.cancel()

    async def _first(self, first: FirstTry, older: list[_Claim]) -> tuple[Leased, int, list[bytes]]:
        """A claim's first try, which serves the ``older`` claims before it (under the lock)."""
        leased, room, served, wakeups = await first([(c.worker_id, c.max_tasks) for c in older])
        self._served(older, served, last=False)
        return leased, room, wakeups

    async def _react_holding(
        self, leased: Leased, wakeups: list[bytes], give_back: GiveBack
    ) -> None:
        """``react`` while holding ``leased``, given back if the caller goes meanwhile."""
        try:
            await self.react(wakeups)
        except asyncio.CancelledError:
            if leased:
                await asyncio.shield(self.spawn(give_back(leased)))
            raise

    def _spawn_last_try(self, entry: _Claim) -> None:
        self.spawn(self._last_try(entry))

    async def _last_try(self, entry: _Claim) -> None:
        async with self._lock:
            if not entry.future.done():
                await self._pass([entry], last=True)

    async def serve(self, workers: set[str] | None) -> None:
        """One pass over the waiting claims (of these workers only, unless None)."""
        if self.draining or not self._claims:
            return
        async with self._lock:
            entries = [c for c in self._waiting() if workers is None or c.worker_id in workers]
            if entries:
                await self._pass(entries, last=False)

    async def _pass(self, entries: list[_Claim], *, last: bool) -> None:
        """Serve ``entries`` in order; a ``last`` try answers even when nothing came."""
        try:
            served, wakeups = await self._serve([(c.worker_id, c.max_tasks) for c in entries])
        except Exception:
            # The claims wait on (a last try answers []); the next pass or deadline retries.
            log.warning("serving waiting claims failed", exc_info=True)
            served, wakeups = [(False, [])] * len(entries), []
        self._served(entries, served, last=last)
        ready, freed = self._apply(wakeups)
        if ready or freed:
            self._later(None if ready else freed)

    def _served(self, entries: list[_Claim], served: list[Served], *, last: bool) -> None:
        """Answer the claims a script served (or found gone); ``last``: answer them all."""
        for entry, (gone, leased) in zip(entries, served, strict=True):
            if leased and entry.future.done():  # its caller went away meanwhile
                self.spawn(entry.give_back(leased))
            elif leased or gone or last:
                self._forget(entry)
                _resolve(entry.future, leased)

    def _waiting(self) -> list[_Claim]:
        return [c for c in self._claims if not c.future.done()]

    def _forget(self, entry: _Claim) -> None:
        with contextlib.suppress(ValueError):
            self._claims.remove(entry)

    # ---- gets ------------------------------------------------------------------------

    async def get(
        self, task_id: str, wait_s: float, read: Callable[[], Awaitable[TaskView]]
    ) -> TaskView:
        """``read()`` the task once it has finished, or after ``wait_s``, or on draining."""
        if wait_s <= 0 or self.draining:
            return await read()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        # Watched before the first read, so a finish while it runs is not missed.
        self._watchers.setdefault(task_id, []).append(future)
        try:
            view = await read()
            if view.state.terminal or self.draining:
                return view
            timer = loop.call_later(wait_s, _resolve, future, None)
            try:
                await future
            finally:
                timer.cancel()
            # Seen again: one who saw it only as its lease holder may have lost the lease.
            return await read()
        finally:
            waiting = self._watchers.get(task_id, [])
            if future in waiting:
                waiting.remove(future)
                if not waiting:
                    del self._watchers[task_id]

    # ---- background work -------------------------------------------------------------

    def spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run ``work`` in the background, until it ends or ``close``; a failure is logged."""
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._ended)
        return task

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("task store background work failed", exc_info=task.exception())


def _resolve(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _outcome(future: asyncio.Future[Leased]) -> Leased | None:
    if future.done() and not future.cancelled():
        return future.result()
    return None
