"""The task store: the queue's atomic transitions, plus the waiting that needs asyncio.

Every operation runs one synchronous transition of ``TaskQueue`` and then reacts to what it
left behind: tasks that became ready go to waiting claims (FIFO, only to workers that
declared the task's queue and type), and tasks that finished wake ``get`` long-polls.
Waiting uses futures, never polling; the deadline timer runs from ``open()`` to ``close()``.

A long-poll ends when its future is resolved: by the work it waits for, by draining, or by a
``call_later`` timer with the empty answer. Not by ``asyncio.timeout``: that cancels the task
that entered it, and the dispatcher may start a handler in one task (a batch's) and finish it
in another, so the timeout would cancel the whole batch instead of this call.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass
from typing import Any

from app.clock import Clock
from app.rpc.errors import DomainError
from app.settings import Settings
from app.tasks.model import Attempt, Task
from app.tasks.queue import Limits, Submitted, TaskQueue
from app.tasks.timers import TimerLoop
from app.tasks.workers import Health, Worker

Claimed = list[tuple[Task, Attempt]]


@dataclass(slots=True)
class _Claim:
    worker_id: str
    max_tasks: int
    future: asyncio.Future[Claimed]


def limits_from(settings: Settings) -> Limits:
    return Limits(
        lease_ttl_s=settings.task_lease_ttl_s,
        heartbeat_s=settings.worker_heartbeat_s,
        timeout_s=settings.task_timeout_s,
        retry_base_s=settings.task_retry_base_s,
        retry_max_s=settings.task_retry_max_s,
        result_ttl_s=settings.task_result_ttl_s,
        max_tasks=settings.task_max_tasks,
        max_payload_bytes=settings.task_max_payload_bytes,
    )


class TaskStore:
    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.queue = TaskQueue(limits_from(settings), clock)
        self._timers = TimerLoop(self.queue.deadlines, clock, self.sweep)
        self._claims: deque[_Claim] = deque()
        self._watchers: dict[str, list[asyncio.Future[None]]] = {}
        self.draining = False

    # ---- lifecycle -------------------------------------------------------------------

    async def open(self) -> None:
        self._timers.start()

    def drain(self) -> None:
        """The server is stopping: waiting claims return ``[]`` and ``get`` waits return now."""
        self.draining = True
        while self._claims:
            _resolve(self._claims.popleft().future, [])
        for futures in self._watchers.values():
            for future in futures:
                _resolve(future, None)

    async def close(self) -> None:
        await self._timers.stop()
        self.drain()

    def sweep(self) -> None:
        """Fire the deadlines that have passed (the timer loop calls this; tests may too)."""
        self.queue.sweep()
        self._react()

    # ---- tasks -----------------------------------------------------------------------

    async def submit(self, type_: str, payload: Any, **options: Any) -> Submitted:
        submitted = self.queue.submit(type_, payload, **options)
        self._react()
        return submitted

    async def claim(self, worker_id: str, max_tasks: int, wait_s: float) -> Claimed:
        """Lease ready tasks now, or wait up to ``wait_s`` seconds for some (FIFO)."""
        # While the server stops, no new work goes out (the worker is still seen alive).
        claimed = self.queue.claim(worker_id, 0 if self.draining else max_tasks)
        self._react()
        worker = self.queue.workers.get(worker_id)
        if claimed or wait_s <= 0 or self.draining or worker.free == 0:
            return claimed
        loop = asyncio.get_running_loop()
        entry = _Claim(worker_id, max_tasks, loop.create_future())
        self._claims.append(entry)
        timer = loop.call_later(wait_s, _resolve, entry.future, [])
        try:
            return await entry.future
        except asyncio.CancelledError:
            # The caller is gone (a shutdown, a dropped connection): give back what it got.
            for task, attempt in _outcome(entry.future) or []:
                with contextlib.suppress(DomainError):  # unless it has already moved on
                    self.queue.release(task.id, attempt.lease_id)
            self._react()
            raise
        finally:
            timer.cancel()
            if entry in self._claims:
                self._claims.remove(entry)

    async def get(self, task_id: str, wait_s: float = 0) -> Task:
        """The task, after waiting up to ``wait_s`` seconds for it to finish."""
        self.sweep()
        task = self.queue.get(task_id)
        if task.state.terminal or wait_s <= 0 or self.draining:
            return task
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._watchers.setdefault(task_id, []).append(future)
        timer = loop.call_later(wait_s, _resolve, future, None)
        try:
            await future
        finally:
            timer.cancel()
            waiting = self._watchers.get(task_id, [])
            if future in waiting:
                waiting.remove(future)
                if not waiting:
                    del self._watchers[task_id]
        return task

    async def heartbeat(
        self, task_id: str, lease_id: str, progress: float | None
    ) -> tuple[Task, Attempt]:
        renewed = self.queue.heartbeat(task_id, lease_id, progress)
        self._react()
        return renewed

    async def complete(self, task_id: str, lease_id: str, result: Any) -> Task:
        task = self.queue.complete(task_id, lease_id, result)
        self._react()
        return task

    async def fail(self, task_id: str, lease_id: str, error: Any, retryable: bool) -> Task:
        task = self.queue.fail(task_id, lease_id, error, retryable)
        self._react()
        return task

    async def release(self, task_id: str, lease_id: str) -> Task:
        task = self.queue.release(task_id, lease_id)
        self._react()
        return task

    async def cancel(self, task_id: str) -> Task:
        task = self.queue.cancel(task_id)
        self._react()
        return task

    async def requeue(self, task_id: str) -> Task:
        task = self.queue.requeue(task_id)
        self._react()
        return task

    # ---- workers ---------------------------------------------------------------------

    async def register(
        self, name: str, types: frozenset[str], queues: frozenset[str], capacity: int
    ) -> Worker:
        worker = self.queue.register(name, types, queues, capacity)
        self._react()
        return worker

    async def worker_heartbeat(
        self, worker_id: str, running: list[tuple[str, str, float | None]]
    ) -> tuple[list[str], dict[str, float]]:
        answer = self.queue.worker_heartbeat(worker_id, running)
        self._react()
        if self.queue.has_ready():
            self._serve()  # a worker back online may be waiting for them
        return answer

    async def deregister(self, worker_id: str) -> Worker:
        worker = self.queue.deregister(worker_id)
        for entry in [c for c in self._claims if c.worker_id == worker_id]:
            self._claims.remove(entry)
            _resolve(entry.future, [])
        self._react()
        return worker

    # ---- reacting to transitions -----------------------------------------------------

    def _react(self) -> None:
        queue = self.queue
        if queue.finished:
            finished, queue.finished = queue.finished, []
            for task_id in finished:
                for future in self._watchers.pop(task_id, []):
                    _resolve(future, None)
        if queue.ready:
            queue.ready = False
            queue.freed.clear()
            self._serve()
        elif queue.freed:
            # A worker with room again may have a claim that waited while it was full.
            freed, queue.freed = queue.freed, set()
            if queue.has_ready():
                self._serve(freed)

    def _serve(self, workers: set[str] | None = None) -> None:
        """Hand ready tasks to waiting claims (of these ``workers`` only), oldest claim first."""
        now = self.queue.clock.time()
        for entry in list(self._claims):
            if not self.queue.has_ready():
                break
            if entry.future.done():
                self._claims.remove(entry)
                continue
            if workers is not None and entry.worker_id not in workers:
                continue
            worker = self.queue.workers.find(entry.worker_id)
            if worker is None or worker.health is Health.OFFLINE:
                continue
            claimed = self.queue.take(worker, entry.max_tasks, now)
            if claimed:
                self._claims.remove(entry)
                entry.future.set_result(claimed)


def _resolve(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _outcome(future: asyncio.Future[Claimed]) -> Claimed | None:
    if future.done() and not future.cancelled():
        return future.result()
    return None
