"""``MemoryTaskStore``: the queue's atomic transitions, plus the waiting that needs asyncio.

Every operation runs one synchronous transition of ``TaskQueue`` and then reacts to what it
left behind: tasks that became ready go to waiting claims (FIFO, only to workers that
declared the task's queue and type), and tasks that finished wake ``get`` long-polls.
Waiting uses futures, never polling; the deadline timer runs from ``open()`` to ``close()``.
Who may do what (``app.tasks.owners``) is applied by the queue, to the caller passed in.

A long-poll ends when its future is resolved: by the work it waits for, by draining, or by a
``call_later`` timer with the empty answer. Not by ``asyncio.timeout``: that cancels the task
that entered it, and the dispatcher may start a handler in one task (a batch's) and finish it
in another, so the timeout would cancel the whole batch instead of this call.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import JsonValue

from app.rpc.access import Principal
from app.rpc.errors import DomainError
from app.stores import Backend, Sample, StoreContext
from app.tasks import metrics
from app.tasks.models import (
    ClaimedTask,
    Health,
    LeaseRenewal,
    Priority,
    Registration,
    RunningTask,
    Stats,
    Submission,
    TaskPage,
    TaskState,
    TaskView,
    WorkerHeartbeat,
    WorkerView,
)
from app.tasks.queue import TaskQueue
from app.tasks.state import QueueLimits
from app.tasks.stats import page, reading, stats, workers
from app.tasks.timers import TimerLoop
from app.tasks.trace_context import current_traceparent


@dataclass(slots=True)
class _Claim:
    worker_id: str
    max_tasks: int
    future: asyncio.Future[list[ClaimedTask]]


class MemoryTaskStore(Backend):
    """The in-process task store: state lives as long as the process."""

    def __init__(self, context: StoreContext) -> None:
        limits = QueueLimits.from_settings(context.settings)
        self._queue = TaskQueue(limits, context.clock, ids=context.ids)
        self._timers = TimerLoop(self._queue.deadlines, context.clock, self._sweep)
        self._claims: deque[_Claim] = deque()
        self._watchers: dict[str, list[asyncio.Future[None]]] = {}

    # ---- lifecycle -------------------------------------------------------------------

    async def open(self) -> None:
        self._timers.start()

    def drain(self) -> None:
        """The server is stopping: waiting claims return ``[]`` and ``get`` waits return now;
        from here on claims get nothing and worker heartbeats answer ``drain``.
        """
        self._queue.draining = True
        while self._claims:
            _resolve(self._claims.popleft().future, [])
        for futures in self._watchers.values():
            for future in futures:
                _resolve(future, None)

    async def close(self) -> None:
        await self._timers.stop()
        self.drain()

    def _sweep(self) -> None:
        """Fire the deadlines that have passed, and react (the timer loop calls this)."""
        self._queue.sweep()
        self._react()

    # ---- tasks -----------------------------------------------------------------------

    async def submit(
        self,
        caller: Principal,
        type_: str,
        payload: JsonValue = None,
        *,
        priority: Priority = Priority.NORMAL,
        delay_s: float = 0,
        run_at: float | None = None,
        depends_on: Sequence[str] = (),
        max_attempts: int = 3,
        timeout_s: float | None = None,
        idempotency_key: str | None = None,
        cache_ttl_s: float = 0,
        result_ttl_s: float | None = None,
        queue: str = "default",
    ) -> Submission:
        submission = self._queue.submit(
            caller,
            type_,
            payload,
            priority=priority,
            delay_s=delay_s,
            run_at=run_at,
            depends_on=depends_on,
            max_attempts=max_attempts,
            timeout_s=timeout_s,
            idempotency_key=idempotency_key,
            cache_ttl_s=cache_ttl_s,
            result_ttl_s=result_ttl_s,
            queue=queue,
            traceparent=current_traceparent(),
        )
        self._react()
        return submission

    async def claim(
        self,
        caller: Principal,
        worker_id: str,
        max_tasks: int,
        wait_s: float,
        *,
        token: str | None = None,
    ) -> list[ClaimedTask]:
        claimed = self._queue.claim(caller, worker_id, max_tasks, token)
        self._react()
        worker = self._queue.workers.get(worker_id)
        if claimed or wait_s <= 0 or self._queue.draining or worker.free == 0:
            return claimed
        loop = asyncio.get_running_loop()
        entry = _Claim(worker_id, max_tasks, loop.create_future())
        self._claims.append(entry)
        timer = loop.call_later(wait_s, _resolve, entry.future, [])
        try:
            return await entry.future
        except asyncio.CancelledError:
            # The caller is gone (a shutdown, a dropped connection): give back what it got,
            # uncharged, since no worker ever saw it.
            for task in _outcome(entry.future) or []:
                with contextlib.suppress(DomainError):  # unless it has already moved on
                    self._queue.release(caller, task.task_id, task.lease_id, token, charge=False)
            self._react()
            raise
        finally:
            timer.cancel()
            if entry in self._claims:
                self._claims.remove(entry)

    async def owner_of(self, task_id: str) -> str | None:
        task = self._queue.tasks.get(task_id)
        return None if task is None else task.owner

    async def get(self, caller: Principal, task_id: str, wait_s: float = 0) -> TaskView:
        self._sweep()
        task = self._queue.visible(caller, task_id)
        if task.state.terminal or wait_s <= 0 or self._queue.draining:
            return TaskView.model_validate(task)
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
        # Seen again: one who saw it only as its lease holder may have lost the lease since.
        return TaskView.model_validate(self._queue.visible(caller, task_id))

    async def heartbeat(
        self,
        caller: Principal,
        task_id: str,
        lease_id: str,
        progress: float | None,
        *,
        token: str | None = None,
    ) -> LeaseRenewal:
        renewal = self._queue.heartbeat(caller, task_id, lease_id, progress, token)
        self._react()
        return renewal

    async def complete(
        self,
        caller: Principal,
        task_id: str,
        lease_id: str,
        result: JsonValue,
        *,
        token: str | None = None,
    ) -> TaskView:
        view = self._queue.complete(caller, task_id, lease_id, result, token)
        self._react()
        return view

    async def fail(
        self,
        caller: Principal,
        task_id: str,
        lease_id: str,
        error: JsonValue,
        retryable: bool,
        *,
        token: str | None = None,
    ) -> TaskView:
        view = self._queue.fail(caller, task_id, lease_id, error, retryable, token)
        self._react()
        return view

    async def release(
        self, caller: Principal, task_id: str, lease_id: str, *, token: str | None = None
    ) -> TaskView:
        view = self._queue.release(caller, task_id, lease_id, token)
        self._react()
        return view

    async def list_tasks(
        self,
        caller: Principal,
        state: TaskState | None = None,
        type_: str | None = None,
        queue: str | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> TaskPage:
        self._sweep()
        return page(self._queue, caller, state, type_, queue, cursor, limit)

    async def stats(self, caller: Principal) -> Stats:
        self._sweep()
        return stats(self._queue, caller)

    async def measure(self) -> list[Sample]:
        """The metrics (``app.tasks.metrics``); counters count since the process started."""
        self._sweep()
        now = self._queue.clock.time()
        return metrics.samples(reading(self._queue), now, "since this process started")

    async def cancel(self, caller: Principal, task_id: str) -> TaskView:
        view = self._queue.cancel(caller, task_id)
        self._react()
        return view

    async def requeue(self, caller: Principal, task_id: str) -> TaskView:
        view = self._queue.requeue(caller, task_id)
        self._react()
        return view

    # ---- workers ---------------------------------------------------------------------

    async def register(
        self,
        caller: Principal,
        name: str,
        types: Collection[str],
        queues: Collection[str],
        capacity: int,
    ) -> Registration:
        registration = self._queue.register(caller, name, types, queues, capacity)
        self._react()
        return registration

    async def worker_heartbeat(
        self,
        caller: Principal,
        worker_id: str,
        running: Sequence[RunningTask],
        *,
        token: str | None = None,
    ) -> WorkerHeartbeat:
        answer = self._queue.worker_heartbeat(caller, worker_id, running, token)
        self._react()
        if self._queue.has_ready():
            self._serve()  # a worker back online may be waiting for them
        return answer

    async def deregister(
        self, caller: Principal, worker_id: str, *, token: str | None = None
    ) -> WorkerView:
        view = self._queue.deregister(caller, worker_id, token)
        for entry in [c for c in self._claims if c.worker_id == worker_id]:
            self._claims.remove(entry)
            _resolve(entry.future, [])
        self._react()
        return view

    async def list_workers(
        self, caller: Principal, after: str | None = None, limit: int = 100
    ) -> list[WorkerView]:
        self._sweep()
        return workers(self._queue, caller, after, limit)

    # ---- reacting to transitions -----------------------------------------------------

    def _react(self) -> None:
        queue = self._queue
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
        now = self._queue.clock.time()
        for entry in list(self._claims):
            if not self._queue.has_ready():
                break
            if entry.future.done():
                self._claims.remove(entry)
                continue
            if workers is not None and entry.worker_id not in workers:
                continue
            worker = self._queue.workers.find(entry.worker_id)
            if worker is None or worker.health is Health.OFFLINE:
                continue
            claimed = self._queue.take(worker, entry.max_tasks, now)
            if claimed:
                self._claims.remove(entry)
                entry.future.set_result(claimed)


def _resolve(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _outcome(future: asyncio.Future[list[ClaimedTask]]) -> list[ClaimedTask] | None:
    if future.done() and not future.cancelled():
        return future.result()
    return None
