"""What passing time does to the queue: leases lapse, delays end, workers go quiet, tasks
that waited too long give up, and finished tasks (with their cache entries) are forgotten.

Each is a deadline (``app.tasks.timers``) checked against the current state when it fires,
so a stale one (a lease since renewed, a task since finished) changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from app.tasks import deps, leases
from app.tasks.models import Health, Outcome, TaskState
from app.tasks.state import QueueState
from app.tasks.timers import Kind

_WAITING = frozenset({TaskState.BLOCKED, TaskState.SCHEDULED, TaskState.PENDING})
COMPACT_FACTOR = 4
COMPACT_MIN = 4096
"""Deadlines are rebuilt from the records once they outnumber them by this much: each
record needs a few at most, so the work is amortized over many additions."""


class ExpiringQueue(QueueState):
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
            elif kind is Kind.WAIT:
                self._check_wait(key, now)
            else:
                self._cache.expire(key, now)
        records = len(self.tasks) + len(self.workers) + len(self._cache)
        if len(self.deadlines) > COMPACT_FACTOR * records + COMPACT_MIN:
            self.deadlines.rebuild(self._pending())
        return now

    def _pending(self) -> Iterator[tuple[float, Kind, str]]:
        """One deadline per time-bound thing the records hold now, at its time: what the
        heap holds once stale and repeated entries (a claim-release loop leaves one per
        lease) are dropped."""
        for task in self.tasks.values():
            if task.lease is not None:
                yield task.lease.expires_at, Kind.LEASE, task.id
            if task.state is TaskState.SCHEDULED:
                yield task.ready_at, Kind.READY, task.id
            if task.state in _WAITING:
                yield task.give_up_at, Kind.WAIT, task.id
            if task.expires_at is not None:
                yield task.expires_at, Kind.EXPIRE, task.id
        for worker in self.workers:
            yield self.workers.silent_since(worker), Kind.WORKER, worker.id
        for key, until in self._cache.deadlines():
            yield until, Kind.CACHE, key

    def _check_lease(self, task_id: str, now: float) -> None:
        task = self.tasks.get(task_id)
        attempt = task.lease if task is not None else None
        if task is None or attempt is None:
            return
        if attempt.expires_at > now:  # renewed since: look again when the renewal lapses
            self.deadlines.add(attempt.expires_at, Kind.LEASE, task_id)
            return
        self.census.lease_expiries += 1
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
        self._forget(task)

    def _check_wait(self, task_id: str, now: float) -> None:
        """A task still waiting to run at its ``give_up_at`` ends ``dead`` (``pending_ttl``);
        its dependents are cancelled as for any dead dependency. A running one is left to
        its attempt: if it is to run again after that, it gives up then."""
        task = self.tasks.get(task_id)
        if task is not None and task.state in _WAITING and task.give_up_at <= now:
            self._finish(task, TaskState.DEAD, "pending_ttl", now)
