"""The task queue's state and every transition of it.

Each public method is one atomic transition: plain synchronous code, so nothing else can run
between its checks and its changes. Each first fires the deadlines that have passed on the
store clock (``sweep``), so time-based transitions are never observed late.

What the async layer (``app.tasks.store``) must react to is left in two outboxes: ``ready``
(a task became claimable: serve waiting claims) and ``finished`` (tasks that reached a
terminal state: wake whoever waits on them).
"""

from __future__ import annotations

import random
import secrets
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from typing import Any

from app.clock import Clock
from app.rpc.errors import InvalidParams
from app.tasks import deps, leases
from app.tasks.cache import CachedResult, ResultCache, canonical, fingerprint
from app.tasks.errors import (
    IdempotencyConflict,
    QueueFull,
    TaskNotFound,
    TaskStateConflict,
    UnknownDependency,
)
from app.tasks.model import FAILED_UPSTREAM, Attempt, Outcome, Priority, Task, TaskState
from app.tasks.ready import ReadyQueues
from app.tasks.retry import backoff
from app.tasks.timers import Deadlines, Kind
from app.tasks.workers import Health, Worker, Workers

THROUGHPUT_WINDOW_S = 60.0
_WORKED = frozenset({TaskState.SUCCEEDED, TaskState.FAILED, TaskState.DEAD})
"""Terminal states reached by running a task (counted as throughput)."""


@dataclass(frozen=True, slots=True)
class Limits:
    lease_ttl_s: float = 30.0
    heartbeat_s: float = 10.0
    timeout_s: float = 300.0
    retry_base_s: float = 1.0
    retry_max_s: float = 300.0
    result_ttl_s: float = 3600.0
    max_tasks: int = 100_000
    max_payload_bytes: int = 65_536


@dataclass(frozen=True, slots=True)
class Submitted:
    task: Task
    deduplicated: bool = False
    """An earlier submit with the same idempotency key: this is that task."""


def too_large(field: str, size: int, limit: int) -> InvalidParams:
    """The -32602 error for a payload or result over the size limit (raised before any change)."""
    problem = f"{field} is {size} bytes of JSON; the limit is {limit}"
    return InvalidParams(data=[{"path": field, "problem": problem, "type": "too_large"}])


class TaskQueue:
    def __init__(self, limits: Limits, clock: Clock, rng: random.Random | None = None) -> None:
        self.limits = limits
        self.clock = clock
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not security)
        self.tasks: dict[str, Task] = {}
        self.workers = Workers(limits.heartbeat_s)
        self.deadlines = Deadlines()
        self._ready = ReadyQueues()
        self._keys: dict[str, str] = {}
        """Idempotency key -> task id."""
        self._cache = ResultCache()
        self._seq = count(1)
        self.expired = 0
        """Finished tasks forgotten after their result expired."""
        self.recent: deque[float] = deque()
        """When tasks finished by a worker's report, within the throughput window."""
        self.ready = False
        self.finished: list[str] = []

    # ---- submitting ------------------------------------------------------------------

    def submit(
        self,
        type_: str,
        payload: Any,
        *,
        priority: Priority = Priority.NORMAL,
        run_at: float | None = None,
        depends_on: tuple[str, ...] = (),
        max_attempts: int = 3,
        timeout_s: float | None = None,
        idempotency_key: str | None = None,
        cache_ttl_s: float = 0.0,
        result_ttl_s: float | None = None,
        queue: str = "default",
    ) -> Submitted:
        """Add a task (or find the one its idempotency key names, or answer from the cache)."""
        now = self.sweep()
        body = canonical(type_, payload)
        if len(body) > self.limits.max_payload_bytes:
            raise too_large("payload", len(body), self.limits.max_payload_bytes)
        digest = fingerprint(body)
        if idempotency_key is not None and idempotency_key in self._keys:
            original = self.tasks[self._keys[idempotency_key]]
            if original.fingerprint != digest or original.queue != queue:
                raise IdempotencyConflict(
                    data={"idempotency_key": idempotency_key, "task_id": original.id}
                )
            return Submitted(original, deduplicated=True)
        depends_on = tuple(dict.fromkeys(depends_on))
        missing = [dep_id for dep_id in depends_on if dep_id not in self.tasks]
        if missing:
            raise UnknownDependency(data={"missing": missing})
        if len(self.tasks) >= self.limits.max_tasks:
            raise QueueFull(data={"limit": self.limits.max_tasks})
        task = Task(
            id="t_" + secrets.token_urlsafe(12),
            seq=next(self._seq),
            type=type_,
            queue=queue,
            payload=payload,
            fingerprint=digest,
            priority=priority,
            max_attempts=max_attempts,
            timeout_s=timeout_s if timeout_s is not None else self.limits.timeout_s,
            result_ttl_s=result_ttl_s if result_ttl_s is not None else self.limits.result_ttl_s,
            cache_ttl_s=cache_ttl_s,
            submitted_at=now,
            ready_at=max(now, run_at) if run_at is not None else now,
            state=TaskState.BLOCKED,
            depends_on=depends_on,
            idempotency_key=idempotency_key,
        )
        self.tasks[task.id] = task
        if idempotency_key is not None:
            self._keys[idempotency_key] = task.id
        deps.link(task, self.tasks)
        hit = self._cache.get(digest, now) if cache_ttl_s > 0 and not depends_on else None
        if hit is not None:
            task.cached = True
            task.result = hit.result
            self._finish(task, TaskState.SUCCEEDED, "cached", now)
        elif deps.upstream_failed(task, self.tasks):
            self._finish(task, TaskState.CANCELLED, "upstream_failed", now)
        elif not task.waiting_on:
            self._make_ready(task, now)
        return Submitted(task)

    # ---- claiming and running --------------------------------------------------------

    def claim(self, worker_id: str, max_tasks: int) -> list[tuple[Task, Attempt]]:
        """Lease up to ``max_tasks`` ready tasks (within the worker's free capacity) now."""
        now = self.sweep()
        worker = self.workers.get(worker_id)
        self._seen(worker, now)
        return self.take(worker, max_tasks, now)

    def take(self, worker: Worker, max_tasks: int, now: float) -> list[tuple[Task, Attempt]]:
        """Lease ready tasks to ``worker`` (the claim step, for callers that already swept)."""
        claimed = []
        for _ in range(min(max_tasks, worker.free)):
            task_id = self._ready.pop(worker.queues, worker.types)
            if task_id is None:
                break
            task = self.tasks[task_id]
            attempt = leases.grant(task, worker.id, now, self.limits.lease_ttl_s)
            task.state = TaskState.RUNNING
            task.progress = None
            worker.leases.add(task.id)
            self.deadlines.add(attempt.expires_at, Kind.LEASE, task.id)
            claimed.append((task, attempt))
        return claimed

    def has_ready(self) -> bool:
        return len(self._ready) > 0

    def queued(self, task_id: str) -> bool:
        """Whether the task waits in a ready queue."""
        return task_id in self._ready

    def heartbeat(
        self, task_id: str, lease_id: str, progress: float | None
    ) -> tuple[Task, Attempt]:
        """Renew a live lease (and record progress); ``LeaseLost`` if it is not live."""
        now = self.sweep()
        task = self.get(task_id)
        attempt = leases.current(task, lease_id)
        leases.renew(attempt, now, self.limits.lease_ttl_s)
        if progress is not None:
            task.progress = progress
        worker = self.workers.find(attempt.worker_id)
        if worker is not None:
            self._seen(worker, now)
        return task, attempt

    def complete(self, task_id: str, lease_id: str, result: Any) -> Task:
        """Record the result of the live attempt; repeating it with the same lease is harmless."""
        now = self.sweep()
        task = self.get(task_id)
        if leases.reported(task, lease_id) is not None:
            return task
        attempt = leases.current(task, lease_id)
        size = len(canonical(task.type, result))
        if size > self.limits.max_payload_bytes:
            raise too_large("result", size, self.limits.max_payload_bytes)
        self._end(task, attempt, Outcome.SUCCEEDED, now)
        task.result = result
        task.progress = 1.0
        self._finish(task, TaskState.SUCCEEDED, None, now)
        if task.cache_ttl_s > 0 and not task.depends_on:
            until = now + task.cache_ttl_s
            self._cache.put(task.fingerprint, CachedResult(result, task.id, until))
            self.deadlines.add(until, Kind.CACHE, task.fingerprint)
        return task

    def fail(self, task_id: str, lease_id: str, error: Any, retryable: bool) -> Task:
        """Record a failed attempt: retry later, or end ``failed`` (or ``dead``)."""
        now = self.sweep()
        task = self.get(task_id)
        if leases.reported(task, lease_id) is not None:
            return task
        attempt = leases.current(task, lease_id)
        self._end(task, attempt, Outcome.FAILED, now)
        task.error = error
        if task.cancel_requested:
            self._finish(task, TaskState.CANCELLED, "cancelled", now)
        elif not retryable:
            self._finish(task, TaskState.FAILED, "failed", now)
        else:
            self._retry(task, "failed", now)
        return task

    def release(self, task_id: str, lease_id: str) -> Task:
        """Give an unfinished task back, uncharged, to be claimed again at once."""
        now = self.sweep()
        task = self.get(task_id)
        if leases.reported(task, lease_id) is not None:
            return task
        attempt = leases.current(task, lease_id)
        self._release(task, attempt, now)
        return task

    # ---- cancelling and requeueing ---------------------------------------------------

    def cancel(self, task_id: str) -> Task:
        """Cancel a task that is not running now (and its dependents); flag a running one."""
        now = self.sweep()
        task = self.get(task_id)
        if task.state is TaskState.CANCELLED:
            return task
        if task.state.terminal:
            raise TaskStateConflict(data={"task_id": task.id, "state": task.state.value})
        task.cancel_requested = True
        if task.state is not TaskState.RUNNING:
            self._finish(task, TaskState.CANCELLED, "cancelled", now)
        return task

    def requeue(self, task_id: str) -> Task:
        """Bring a ``dead`` task back to ``pending`` with a fresh retry budget."""
        now = self.sweep()
        task = self.get(task_id)
        if task.state is not TaskState.DEAD:
            raise TaskStateConflict(
                data={"task_id": task.id, "state": task.state.value, "expected": "dead"}
            )
        missing = [dep_id for dep_id in task.depends_on if dep_id not in self.tasks]
        if missing:
            raise UnknownDependency(data={"missing": missing})
        task.charged = 0
        task.reason = None
        task.finished_at = task.expires_at = None
        task.ready_at = now
        self._make_ready(task, now)
        return task

    # ---- workers ---------------------------------------------------------------------

    def register(
        self, name: str, types: frozenset[str], queues: frozenset[str], capacity: int
    ) -> Worker:
        now = self.sweep()
        worker = self.workers.register(name, types, queues, capacity, now)
        self.deadlines.add(self.workers.silent_since(worker), Kind.WORKER, worker.id)
        return worker

    def worker_heartbeat(
        self, worker_id: str, running: list[tuple[str, str, float | None]]
    ) -> tuple[list[str], dict[str, float]]:
        """Renew the leases a worker reports; return (ids it should stop, renewed expiries)."""
        now = self.sweep()
        worker = self.workers.get(worker_id)
        self._seen(worker, now)
        stop: list[str] = []
        renewed: dict[str, float] = {}
        for task_id, lease_id, progress in running:
            task = self.tasks.get(task_id)
            live = task.lease if task is not None else None
            if (
                task is None
                or live is None
                or live.worker_id != worker.id
                or not secrets.compare_digest(live.lease_id.encode(), lease_id.encode())
            ):
                stop.append(task_id)
                continue
            leases.renew(live, now, self.limits.lease_ttl_s)
            if progress is not None:
                task.progress = progress
            renewed[task_id] = live.expires_at
            if task.cancel_requested:
                stop.append(task_id)
        return stop, renewed

    def deregister(self, worker_id: str) -> Worker:
        """Remove a worker; tasks it still holds go back to the queue, uncharged."""
        now = self.sweep()
        worker = self.workers.remove(worker_id)
        for task_id in sorted(worker.leases):
            task = self.tasks[task_id]
            attempt = task.lease
            if attempt is not None:
                self._release(task, attempt, now)
        return worker

    def _seen(self, worker: Worker, now: float) -> None:
        was_offline = worker.health is Health.OFFLINE
        self.workers.seen(worker, now)
        if was_offline:  # its silence deadline chain ended when it went offline
            self.deadlines.add(self.workers.silent_since(worker), Kind.WORKER, worker.id)

    # ---- reading ---------------------------------------------------------------------

    def get(self, task_id: str) -> Task:
        task = self.tasks.get(task_id)
        if task is None:
            raise TaskNotFound(data={"task_id": task_id})
        return task

    def dep_results(self, task: Task) -> dict[str, Any]:
        return deps.results(task, self.tasks)

    def scan(self, after_seq: int = 0) -> Iterator[Task]:
        """Tasks in submit order, starting after ``after_seq``."""
        for task in self.tasks.values():
            if task.seq > after_seq:
                yield task

    # ---- time ------------------------------------------------------------------------

    def sweep(self) -> float:
        """Fire every deadline that has passed; return the current time."""
        now = self.clock.time()
        for kind, key in self.deadlines.due(now):
            if kind is Kind.LEASE:
                self._check_lease(key, now)
            elif kind is Kind.READY:
                self._check_ready(key, now)
            elif kind is Kind.WORKER:
                self._check_worker(key, now)
            elif kind is Kind.EXPIRE:
                self._check_expiry(key, now)
            else:
                self._cache.expire(key, now)
        return now

    def _check_lease(self, task_id: str, now: float) -> None:
        task = self.tasks.get(task_id)
        attempt = task.lease if task is not None else None
        if task is None or attempt is None:
            return
        if attempt.expires_at > now:  # renewed since: look again when the renewal lapses
            self.deadlines.add(attempt.expires_at, Kind.LEASE, task_id)
            return
        self._lose(task, attempt, leases.lapse_outcome(attempt), now)

    def _check_ready(self, task_id: str, now: float) -> None:
        task = self.tasks.get(task_id)
        if task is not None and task.state is TaskState.SCHEDULED and task.ready_at <= now:
            self._make_ready(task, now)

    def _check_worker(self, worker_id: str, now: float) -> None:
        worker = self.workers.find(worker_id)
        if worker is None:
            return
        if worker.health is Health.ONLINE:
            if self.workers.silent_since(worker) > now:
                self.deadlines.add(self.workers.silent_since(worker), Kind.WORKER, worker_id)
                return
            worker.health = Health.OFFLINE
            for task_id in sorted(worker.leases):
                task = self.tasks[task_id]
                attempt = task.lease
                if attempt is not None:
                    self._lose(task, attempt, Outcome.REVOKED, now)
        if self.workers.forget_at(worker) > now:
            self.deadlines.add(self.workers.forget_at(worker), Kind.WORKER, worker_id)
        else:
            self.workers.remove(worker_id)

    def _check_expiry(self, task_id: str, now: float) -> None:
        task = self.tasks.get(task_id)
        if task is None or not task.state.terminal or task.expires_at is None:
            return
        if task.expires_at > now or deps.still_needed(task, self.tasks):
            return  # a later deadline, or a finishing dependent, brings it back
        deps.forget(task, self.tasks)
        del self.tasks[task_id]
        if task.idempotency_key is not None and self._keys.get(task.idempotency_key) == task_id:
            del self._keys[task.idempotency_key]
        self.expired += 1

    # ---- transitions -----------------------------------------------------------------

    def _make_ready(self, task: Task, now: float) -> None:
        if task.ready_at > now:
            task.state = TaskState.SCHEDULED
            self.deadlines.add(task.ready_at, Kind.READY, task.id)
        else:
            task.state = TaskState.PENDING
            self._ready.push(task)
            self.ready = True

    def _end(self, task: Task, attempt: Attempt, outcome: Outcome, now: float) -> None:
        attempt.outcome = outcome
        attempt.ended_at = now
        worker = self.workers.find(attempt.worker_id)
        if worker is not None:
            worker.leases.discard(task.id)

    def _release(self, task: Task, attempt: Attempt, now: float) -> None:
        self._end(task, attempt, Outcome.RELEASED, now)
        if task.cancel_requested:
            self._finish(task, TaskState.CANCELLED, "cancelled", now)
        else:
            self._make_ready(task, now)

    def _lose(self, task: Task, attempt: Attempt, outcome: Outcome, now: float) -> None:
        """The attempt ended without a report: its lease lapsed, or its worker went away."""
        self._end(task, attempt, outcome, now)
        if task.cancel_requested:
            self._finish(task, TaskState.CANCELLED, "cancelled", now)
        else:
            self._retry(task, outcome.value, now)

    def _retry(self, task: Task, why: str, now: float) -> None:
        task.charged += 1
        if task.charged >= task.max_attempts:
            self._finish(task, TaskState.DEAD, why, now)
            return
        delay = backoff(task.charged, self.limits.retry_base_s, self.limits.retry_max_s, self._rng)
        task.ready_at = now + delay
        self._make_ready(task, now)

    def _finish(self, task: Task, state: TaskState, reason: str | None, now: float) -> None:
        """Move ``task`` to a terminal state, then tell its dependents."""
        self._settle(task, state, reason, now)
        if state is TaskState.SUCCEEDED:
            for dependent in deps.unblocked(task, self.tasks):
                dependent.ready_at = max(dependent.ready_at, now)
                self._make_ready(dependent, now)
        elif state in FAILED_UPSTREAM:
            for dependent in deps.downstream(task, self.tasks):
                if dependent.state is TaskState.RUNNING:
                    dependent.cancel_requested = True  # unreachable by construction; be safe
                else:
                    self._settle(dependent, TaskState.CANCELLED, "upstream_failed", now)

    def _settle(self, task: Task, state: TaskState, reason: str | None, now: float) -> None:
        self._ready.discard(task.id)
        task.state = state
        task.reason = reason
        task.finished_at = now
        task.expires_at = now + task.result_ttl_s
        self.deadlines.add(task.expires_at, Kind.EXPIRE, task.id)
        self.finished.append(task.id)
        if state in _WORKED and not task.cached:
            self.recent.append(now)
            self.trim_throughput(now)
        for dep_id in task.depends_on:
            dep = self.tasks.get(dep_id)
            # A dependency kept alive for this task's sake may expire now.
            if dep is not None and dep.expires_at is not None and dep.expires_at <= now:
                self.deadlines.add(now, Kind.EXPIRE, dep_id)

    def trim_throughput(self, now: float) -> None:
        while self.recent and self.recent[0] <= now - THROUGHPUT_WINDOW_S:
            self.recent.popleft()
