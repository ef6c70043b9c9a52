"""The task queue's operations: each public method is one atomic transition.

Each is plain synchronous code, so nothing else can run between its checks and its changes,
and each first fires the deadlines that have passed on the store clock (``sweep``), so
time-based transitions are never observed late.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from app.rpc.errors import InvalidParams
from app.tasks import deps, leases
from app.tasks.cache import CachedResult, canonical, fingerprint
from app.tasks.errors import (
    IdempotencyConflict,
    QueueFull,
    TaskStateConflict,
    UnknownDependency,
)
from app.tasks.model import Attempt, Outcome, Priority, Task, TaskState
from app.tasks.state import THROUGHPUT_WINDOW_S, Limits, QueueState
from app.tasks.timers import Kind
from app.tasks.workers import Worker

__all__ = ["THROUGHPUT_WINDOW_S", "Limits", "Submitted", "TaskQueue"]


@dataclass(frozen=True, slots=True)
class Submitted:
    task: Task
    deduplicated: bool = False
    """An earlier submit with the same idempotency key: this is that task."""


def too_large(field: str, size: int, limit: int) -> InvalidParams:
    """The -32602 error for a payload or result over the size limit (raised before any change)."""
    problem = f"{field} is {size} bytes of JSON; the limit is {limit}"
    return InvalidParams(data=[{"path": field, "problem": problem, "type": "too_large"}])


class TaskQueue(QueueState):
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
