"""The task queue's state, and the transitions its operations share.

``QueueState`` holds every record (tasks, workers, ready queues, deadlines, indexes, the
budget) and the private steps that move a task between states; ``app.tasks.expiry`` adds what
passing time does, and ``TaskQueue`` (``app.tasks.queue``) builds the public, atomic
operations from them. Nothing here awaits.

Every lookup on a caller's behalf goes through ``visible``, ``steered`` or ``as_worker``,
which apply ``app.tasks.owners`` and answer a refusal exactly as an unknown id.

What the async layer (``app.tasks.memory``) must react to is left in three outboxes: ``ready``
(a task became claimable: serve waiting claims), ``freed`` (workers whose lease ended, so
that have room again: serve their waiting claims) and ``finished`` (tasks that reached a
terminal state: wake whoever waits on them).
"""

from __future__ import annotations

import random
from collections import Counter, deque
from dataclasses import dataclass, field
from itertools import count

from app.clock import Clock
from app.ids import RANDOM, Ids
from app.rpc.access import Principal
from app.settings import Settings
from app.tasks import deps, leases, owners
from app.tasks.budget import Budget, Caps
from app.tasks.cache import ResultCache, cache_key
from app.tasks.census import Census
from app.tasks.errors import TaskNotFound, WorkerNotFound
from app.tasks.models import FAILED_UPSTREAM, ClaimedTask, Health, Outcome, TaskState
from app.tasks.ready import ReadyQueues
from app.tasks.records import Attempt, Task
from app.tasks.retry import backoff
from app.tasks.timers import Deadlines, Kind
from app.tasks.workers import WorkerRecord, Workers

THROUGHPUT_WINDOW_S = 60.0
_WORKED = frozenset({TaskState.SUCCEEDED, TaskState.FAILED, TaskState.DEAD})
"""Terminal states reached by running a task (counted as throughput)."""

FREE_RELEASES = 2
"""Releases of a task that do not count against its ``max_attempts`` (per requeue)."""


@dataclass(frozen=True, slots=True)
class QueueLimits:
    lease_ttl_s: float = 30.0
    heartbeat_s: float = 10.0
    timeout_s: float = 300.0
    retry_base_s: float = 1.0
    retry_max_s: float = 300.0
    result_ttl_s: float = 3600.0
    pending_ttl_s: float = 7 * 86_400.0
    max_payload_bytes: int = 65_536
    attempts_kept: int = 5
    cache_max_entries: int = 10_000
    cache_max_bytes: int = 32 * 1024 * 1024
    max_workers: int = 1000
    max_workers_per_owner: int = 100
    caps: Caps = field(default_factory=Caps)

    @classmethod
    def from_settings(cls, settings: Settings) -> QueueLimits:
        """The queue's limits, as the settings give them."""
        return cls(
            lease_ttl_s=settings.task_lease_ttl_s,
            heartbeat_s=settings.worker_heartbeat_s,
            timeout_s=settings.task_timeout_s,
            retry_base_s=settings.task_retry_base_s,
            retry_max_s=settings.task_retry_max_s,
            result_ttl_s=settings.task_result_ttl_s,
            pending_ttl_s=settings.task_pending_ttl_s,
            max_payload_bytes=settings.task_max_payload_bytes,
            attempts_kept=settings.task_attempts_kept,
            cache_max_entries=settings.task_cache_max_entries,
            cache_max_bytes=settings.task_cache_max_bytes,
            max_workers=settings.worker_max_workers,
            max_workers_per_owner=settings.worker_max_workers_per_owner,
            caps=Caps(
                max_tasks=settings.task_max_tasks,
                max_tasks_per_owner=settings.task_max_tasks_per_owner,
                max_bytes=settings.task_max_bytes,
                max_bytes_per_owner=settings.task_max_bytes_per_owner,
            ),
        )


class QueueState:
    def __init__(
        self,
        limits: QueueLimits,
        clock: Clock,
        rng: random.Random | None = None,
        ids: Ids = RANDOM,
    ) -> None:
        self.limits = limits
        self.clock = clock
        self.ids = ids
        """Where task ids, lease ids, worker ids and worker tokens come from."""
        # Seeded from the global generator (jitter, not security), so that a test framework
        # that seeds it (hypothesis does) replays the same backoffs.
        self._rng = rng or random.Random(random.getrandbits(64))  # noqa: S311
        self.tasks: dict[str, Task] = {}
        self.workers = Workers(
            limits.heartbeat_s, limits.max_workers, limits.max_workers_per_owner, ids
        )
        self.deadlines = Deadlines()
        self.budget = Budget(limits.caps)
        self._ready = ReadyQueues()
        self._keys: dict[tuple[str, str], str] = {}
        """(owner, idempotency key) -> task id: each principal's keys are its own."""
        self._cache = ResultCache(limits.cache_max_entries, limits.cache_max_bytes)
        self._seq = count(1)
        self.expired: Counter[str] = Counter()
        """Finished tasks forgotten after their result expired, by owner."""
        self.recent: deque[tuple[float, str]] = deque()
        """(when, owner) of tasks finished by a worker's report, within the throughput window."""
        self.census = Census()
        """For the metrics: tasks by state and queue, and what went wrong."""
        self.draining = False
        """The server is stopping: no new work goes out, and workers are told so."""
        self.ready = False
        self.freed: set[str] = set()
        self.finished: list[str] = []

    def has_ready(self) -> bool:
        return len(self._ready) > 0

    def queued(self, task_id: str) -> bool:
        """Whether the task waits in a ready queue."""
        return task_id in self._ready

    def oldest_ready(self, queue: str) -> float | None:
        """When the oldest pending task of ``queue`` became ready; None if it has none."""
        return self._ready.oldest(queue)

    def pending_queues(self) -> list[str]:
        """The queues with pending tasks (or just without: see ``oldest_ready``)."""
        return self._ready.queues()

    def _seen(self, worker: WorkerRecord, now: float) -> None:
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

    def visible(self, caller: Principal, task_id: str) -> Task:
        """The task, if ``caller`` may see it; else ``TaskNotFound``, as for no such task."""
        task = self.tasks.get(task_id)
        if task is None or not owners.may_see(caller, task, self.workers):
            raise TaskNotFound(data={"task_id": task_id})
        return task

    def steered(self, caller: Principal, task_id: str) -> Task:
        """The task, if ``caller`` owns it (or is admin); else ``TaskNotFound``."""
        task = self.tasks.get(task_id)
        if task is None or not owners.may_steer(caller, task):
            raise TaskNotFound(data={"task_id": task_id})
        return task

    def as_worker(self, caller: Principal, worker_id: str, token: str | None) -> WorkerRecord:
        """The worker, if ``caller`` with ``token`` may act as it; else ``WorkerNotFound``."""
        worker = self.workers.find(worker_id)
        if worker is None or not owners.may_work(caller, worker, token):
            raise WorkerNotFound(data={"worker_id": worker_id})
        return worker

    # ---- transitions -----------------------------------------------------------------

    def take(self, worker: WorkerRecord, max_tasks: int, now: float) -> list[ClaimedTask]:
        """Lease ready tasks to ``worker`` (the claim step, for callers that already swept)."""
        claimed = []
        for _ in range(min(max_tasks, worker.free)):
            task_id = self._ready.pop(worker.queues, worker.types)
            if task_id is None:
                break
            task = self.tasks[task_id]
            attempt = leases.grant(
                task, worker.id, now, self.limits.lease_ttl_s, self.limits.attempts_kept, self.ids
            )
            self._move(task, TaskState.RUNNING)
            task.progress = None
            worker.leases.add(task.id)
            self.deadlines.add(attempt.expires_at, Kind.LEASE, task.id)
            claimed.append(
                ClaimedTask(
                    task_id=task.id,
                    type=task.type,
                    queue=task.queue,
                    priority=task.priority,
                    payload=task.payload,
                    lease_id=attempt.secret,
                    lease_expires_at=attempt.expires_at,
                    deadline=attempt.deadline,
                    timeout_s=task.timeout_s,
                    attempt=attempt.number,
                    max_attempts=task.max_attempts,
                    dep_results=deps.results(task, self.tasks),
                    traceparent=task.traceparent,
                )
            )
        return claimed

    def _make_ready(self, task: Task, now: float) -> None:
        if now >= task.give_up_at:  # it waited past task_pending_ttl_s (a last retry, say)
            self._finish(task, TaskState.DEAD, "pending_ttl", now)
        elif task.ready_at > now:
            self._move(task, TaskState.SCHEDULED)
            self.deadlines.add(task.ready_at, Kind.READY, task.id)
        else:
            self._move(task, TaskState.PENDING)
            self._ready.push(task)
            self.ready = True

    def _end(self, task: Task, attempt: Attempt, outcome: Outcome, now: float) -> None:
        attempt.outcome = outcome
        attempt.ended_at = now
        worker = self.workers.find(attempt.worker_id)
        if worker is not None:
            worker.leases.discard(task.id)
            self.freed.add(worker.id)

    def _release(self, task: Task, attempt: Attempt, now: float, *, charge: bool) -> None:
        """Give the task back, ready at once; ``charge``: the release counts as an attempt."""
        self._end(task, attempt, Outcome.RELEASED, now)
        if task.cancel_requested:
            self._finish(task, TaskState.CANCELLED, "cancelled", now)
            return
        if charge:
            task.releases += 1
            # The first few are free: a worker restarted mid-task (a deploy) gives it back
            # without using up its attempts. The rest count, so claim-and-release loops end.
            if task.releases > FREE_RELEASES:
                task.charged += 1
                if task.charged >= task.max_attempts:
                    self._finish(task, TaskState.DEAD, "released", now)
                    return
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
        self.census.retries += 1
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
        self._move(task, state)
        if state is TaskState.DEAD:
            self.census.dead += 1
        task.reason = reason
        task.finished_at = now
        task.expires_at = now + task.result_ttl_s
        self.deadlines.add(task.expires_at, Kind.EXPIRE, task.id)
        self.finished.append(task.id)
        if state in _WORKED and not task.cached:
            self.recent.append((now, task.owner))
            self.trim_throughput(now)
        for dep_id in task.depends_on:
            dep = self.tasks.get(dep_id)
            # A dependency kept alive for this task's sake may expire now.
            if dep is not None and dep.expires_at is not None and dep.expires_at <= now:
                self.deadlines.add(now, Kind.EXPIRE, dep_id)

    def _forget(self, task: Task) -> None:
        """Delete a finished task, with its idempotency key and the cache entry it made."""
        deps.forget(task, self.tasks)
        del self.tasks[task.id]
        self.census.remove(task.queue, task.state)
        self.budget.remove(task)
        if task.idempotency_key is not None:
            key = (task.owner, task.idempotency_key)
            if self._keys.get(key) == task.id:
                del self._keys[key]
        self._cache.drop(cache_key(task.owner, task.fingerprint), task.id)
        self.expired[task.owner] += 1

    def _move(self, task: Task, state: TaskState) -> None:
        self.census.move(task.queue, task.state, state)
        task.state = state

    def trim_throughput(self, now: float) -> None:
        while self.recent and self.recent[0][0] <= now - THROUGHPUT_WINDOW_S:
            self.recent.popleft()
