"""The task queue's operations: each public method is one atomic transition.

Each is plain synchronous code, so nothing else can run between its checks and its changes,
and each first fires the deadlines that have passed on the store clock (``sweep``), so
time-based transitions are never observed late. Each answers the wire model its method
returns, built here, where the data is.

Each takes the caller (a ``Principal``) and finds what it names through ``QueueState``'s
``visible``, ``steered`` and ``as_worker``, so ``app.tasks.owners`` is applied to every call.
Lease reports check the lease first (``LeaseLost``, whoever asks), then that the caller may
act as the worker holding it (``WorkerNotFound``). What a submit or a report may store is
``app.tasks.budget``'s rule, checked before any change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from app.rpc.access import Principal
from app.tasks import deps, leases, owners
from app.tasks.budget import stored_size
from app.tasks.cache import CachedResult, cache_key, canonical, fingerprint
from app.tasks.errors import (
    IdempotencyConflict,
    TaskStateConflict,
    TooLarge,
    TooLate,
    UnknownDependency,
)
from app.tasks.models import (
    ClaimedTask,
    LeaseRenewal,
    Outcome,
    Priority,
    Submission,
    TaskState,
    TaskView,
)
from app.tasks.records import NULL, Task, encode
from app.tasks.roster import RosterQueue
from app.tasks.timers import Kind


class TaskQueue(RosterQueue):
    # ---- submitting ------------------------------------------------------------------

    def submit(
        self,
        caller: Principal,
        type_: str,
        payload: Any,
        *,
        priority: Priority = Priority.NORMAL,
        delay_s: float = 0,
        run_at: float | None = None,
        depends_on: Iterable[str] = (),
        max_attempts: int = 3,
        timeout_s: float | None = None,
        idempotency_key: str | None = None,
        cache_ttl_s: float = 0.0,
        result_ttl_s: float | None = None,
        queue: str = "default",
        traceparent: str | None = None,
    ) -> Submission:
        """Add a task of ``caller``'s (or find the one its idempotency key names among the
        caller's, or answer from the caller's cache).

        It runs at ``run_at`` (Unix time) if given, else ``delay_s`` from now. ``depends_on``
        may name only tasks the caller may see: any other is reported ``missing``.
        ``traceparent`` is the submit's trace context, handed to the workers that claim it.
        """
        now = self.sweep()
        body = canonical(type_, payload)
        if len(body) > self.limits.max_payload_bytes:
            raise TooLarge("payload", len(body), self.limits.max_payload_bytes)
        ready_at = max(now, run_at) if run_at is not None else now + delay_s
        give_up_at = now + self.limits.pending_ttl_s
        if ready_at >= give_up_at:
            limit = self.limits.pending_ttl_s
            raise TooLate("run_at" if run_at is not None else "delay_s", ready_at - now, limit)
        digest = fingerprint(body)
        owner = caller.id
        if idempotency_key is not None and (owner, idempotency_key) in self._keys:
            original = self.tasks[self._keys[owner, idempotency_key]]
            if original.fingerprint != digest or original.queue != queue:
                raise IdempotencyConflict(
                    data={"idempotency_key": idempotency_key, "task_id": original.id}
                )
            return _submission(original, deduplicated=True)
        unique = tuple(dict.fromkeys(depends_on))
        # Only tasks you own: a lease holder could otherwise read a stranger's result.
        missing = [
            dep_id
            for dep_id in unique
            if dep_id not in self.tasks or not owners.may_steer(caller, self.tasks[dep_id])
        ]
        if missing:
            raise UnknownDependency(data={"missing": missing})
        dep_ids = tuple(self.tasks[dep_id].id for dep_id in unique)  # shared, not copies
        payload_json = encode(payload)
        hit = None
        if cache_ttl_s > 0 and not dep_ids:
            hit = self._cache.get(cache_key(owner, digest), now)
        result_json = hit.result_json if hit is not None else NULL
        self.budget.admit(
            owner, stored_size(payload_json, result_json, NULL, dependencies=len(dep_ids))
        )
        task = Task(
            id=self.ids.new("task", 12, "t_"),
            seq=next(self._seq),
            type=type_,
            queue=queue,
            payload_json=payload_json,
            fingerprint=digest,
            priority=priority,
            max_attempts=max_attempts,
            timeout_s=timeout_s if timeout_s is not None else self.limits.timeout_s,
            result_ttl_s=result_ttl_s if result_ttl_s is not None else self.limits.result_ttl_s,
            cache_ttl_s=cache_ttl_s,
            submitted_at=now,
            ready_at=ready_at,
            give_up_at=give_up_at,
            state=TaskState.BLOCKED,
            owner=owner,
            depends_on=dep_ids,
            idempotency_key=idempotency_key,
            result_json=result_json,
            traceparent=traceparent,
        )
        self.tasks[task.id] = task
        self.census.add(task.queue, task.state)
        self.budget.add(task)
        if idempotency_key is not None:
            self._keys[owner, idempotency_key] = task.id
        deps.link(task, self.tasks)
        if hit is not None:
            task.cached = True
            self._finish(task, TaskState.SUCCEEDED, "cached", now)
        elif deps.upstream_failed(task, self.tasks):
            self._finish(task, TaskState.CANCELLED, "upstream_failed", now)
        elif not task.waiting_on:
            self._make_ready(task, now)
        if not task.state.terminal:
            self.deadlines.add(give_up_at, Kind.WAIT, task.id)
        return _submission(task, deduplicated=False)

    # ---- claiming and running --------------------------------------------------------

    def claim(
        self, caller: Principal, worker_id: str, max_tasks: int, token: str | None
    ) -> list[ClaimedTask]:
        """Lease up to ``max_tasks`` ready tasks (within the worker's free capacity) now.

        While the server stops, no new work goes out (the worker is still seen alive).
        """
        now = self.sweep()
        worker = self.as_worker(caller, worker_id, token)
        self._seen(worker, now)
        return self.take(worker, 0 if self.draining else max_tasks, now)

    def heartbeat(
        self,
        caller: Principal,
        task_id: str,
        lease_id: str,
        progress: float | None,
        token: str | None,
    ) -> LeaseRenewal:
        """Renew a live lease (and record progress); ``LeaseLost`` if it is not live."""
        now = self.sweep()
        task = self.get(task_id)
        attempt = leases.current(task, lease_id)
        self.as_worker(caller, attempt.worker_id, token)
        leases.renew(attempt, now, self.limits.lease_ttl_s)
        if progress is not None:
            task.progress = progress
        worker = self.workers.find(attempt.worker_id)
        if worker is not None:
            self._seen(worker, now)
        return LeaseRenewal(
            task_id=task.id,
            lease_expires_at=attempt.expires_at,
            cancel_requested=task.cancel_requested,
        )

    def complete(
        self, caller: Principal, task_id: str, lease_id: str, result: Any, token: str | None
    ) -> TaskView:
        """Record the result of the live attempt; repeating it with the same lease is harmless."""
        now = self.sweep()
        task = self.get(task_id)
        attempt, repeat = leases.acting(task, lease_id, Outcome.SUCCEEDED)
        self.as_worker(caller, attempt.worker_id, token)
        if repeat:
            return TaskView.model_validate(task)
        result_json = self._measured("result", task, result, task.result_json)
        self._end(task, attempt, Outcome.SUCCEEDED, now)
        attempt.reported = True
        task.result_json = result_json
        self.budget.resize(task)
        task.progress = 1.0
        self._finish(task, TaskState.SUCCEEDED, None, now)
        if task.cache_ttl_s > 0 and not task.depends_on:
            until = now + task.cache_ttl_s
            key = cache_key(task.owner, task.fingerprint)
            self._cache.put(key, CachedResult(result_json, task.id, until))
            self.deadlines.add(until, Kind.CACHE, key)
        return TaskView.model_validate(task)

    def fail(
        self,
        caller: Principal,
        task_id: str,
        lease_id: str,
        error: Any,
        retryable: bool,
        token: str | None,
    ) -> TaskView:
        """Record a failed attempt: retry later, or end ``failed`` (or ``dead``)."""
        now = self.sweep()
        task = self.get(task_id)
        attempt, repeat = leases.acting(task, lease_id, Outcome.FAILED)
        self.as_worker(caller, attempt.worker_id, token)
        if repeat:
            return TaskView.model_validate(task)
        error_json = self._measured("error", task, error, task.error_json)
        self._end(task, attempt, Outcome.FAILED, now)
        attempt.reported = True
        task.error_json = error_json
        self.budget.resize(task)
        if task.cancel_requested:
            self._finish(task, TaskState.CANCELLED, "cancelled", now)
        elif not retryable:
            self._finish(task, TaskState.FAILED, "failed", now)
        else:
            self._retry(task, "failed", now)
        return TaskView.model_validate(task)

    def release(
        self,
        caller: Principal,
        task_id: str,
        lease_id: str,
        token: str | None,
        *,
        charge: bool = True,
    ) -> TaskView:
        """Give an unfinished task back, to be claimed again at once.

        The release counts as an attempt (the last one leaves it ``dead``, reason
        ``released``), unless the server is draining (it asked for the release) or
        ``charge`` is false (the server releases for a caller that never saw the task).
        """
        now = self.sweep()
        task = self.get(task_id)
        attempt, repeat = leases.acting(task, lease_id, Outcome.RELEASED)
        self.as_worker(caller, attempt.worker_id, token)
        if repeat:
            return TaskView.model_validate(task)
        self._release(task, attempt, now, charge=charge and not self.draining)
        attempt.reported = True
        return TaskView.model_validate(task)

    def _measured(
        self, what: Literal["result", "error"], task: Task, value: Any, replaces: bytes
    ) -> bytes:
        """``value``'s JSON, if it is within the size limit and the byte budget has room
        for it (in place of ``replaces``); else ``TooLarge`` or -32005."""
        size = len(canonical(task.type, value))
        if size > self.limits.max_payload_bytes:
            raise TooLarge(what, size, self.limits.max_payload_bytes)
        kept = encode(value)
        self.budget.admit_growth(len(kept) - len(replaces))
        return kept

    # ---- cancelling and requeueing ---------------------------------------------------

    def cancel(self, caller: Principal, task_id: str) -> TaskView:
        """Cancel a task that is not running now (and its dependents); flag a running one."""
        now = self.sweep()
        task = self.steered(caller, task_id)
        if task.state is TaskState.CANCELLED:
            return TaskView.model_validate(task)
        if task.state.terminal:
            raise TaskStateConflict(data={"task_id": task.id, "state": task.state.value})
        task.cancel_requested = True
        if task.state is not TaskState.RUNNING:
            self._finish(task, TaskState.CANCELLED, "cancelled", now)
        return TaskView.model_validate(task)

    def requeue(self, caller: Principal, task_id: str) -> TaskView:
        """Bring a ``dead`` task back to ``pending`` with a fresh retry budget."""
        now = self.sweep()
        task = self.steered(caller, task_id)
        if task.state is not TaskState.DEAD:
            raise TaskStateConflict(
                data={"task_id": task.id, "state": task.state.value, "expected": "dead"}
            )
        missing = [dep_id for dep_id in task.depends_on if dep_id not in self.tasks]
        if missing:
            raise UnknownDependency(data={"missing": missing})
        task.charged = task.releases = 0
        task.reason = None
        task.finished_at = task.expires_at = None
        task.ready_at = now
        task.give_up_at = now + self.limits.pending_ttl_s
        self.deadlines.add(task.give_up_at, Kind.WAIT, task.id)
        self._make_ready(task, now)
        return TaskView.model_validate(task)


def _submission(task: Task, *, deduplicated: bool) -> Submission:
    return Submission(
        task_id=task.id,
        state=task.state,
        emoji=task.state.emoji,
        deduplicated=deduplicated,
        cached=task.cached,
    )
