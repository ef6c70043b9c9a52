"""Workers joining, calling in and leaving: ``register``, ``worker_heartbeat`` and
``deregister``, each one atomic transition of the queue (see ``app.tasks.queue``).

The registry's caps (``app.tasks.workers``) apply at ``register``. A deregistration gives
the tasks the worker still holds back to the queue, each release counting as an attempt
(unless the server is draining), so register-claim-deregister cannot loop a task forever.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.rpc.access import Principal
from app.tasks import leases, owners
from app.tasks.expiry import ExpiringQueue
from app.tasks.models import Registration, RunningTask, WorkerHeartbeat, WorkerView
from app.tasks.timers import Kind


class RosterQueue(ExpiringQueue):
    def register(
        self,
        caller: Principal,
        name: str,
        types: Iterable[str],
        queues: Iterable[str],
        capacity: int,
    ) -> Registration:
        """Add a worker of ``caller``'s; answer its secret token (the only time it is shown),
        how often to call in and how long a lease lasts.
        """
        now = self.sweep()
        token, digest = owners.new_token(self.ids)
        worker = self.workers.register(name, types, queues, capacity, caller.id, digest, now)
        self.deadlines.add(self.workers.silent_since(worker), Kind.WORKER, worker.id)
        return Registration(
            worker_id=worker.id,
            worker_token=token,
            heartbeat_interval_s=self.limits.heartbeat_s,
            lease_ttl_s=self.limits.lease_ttl_s,
        )

    def worker_heartbeat(
        self,
        caller: Principal,
        worker_id: str,
        running: Iterable[RunningTask],
        token: str | None,
    ) -> WorkerHeartbeat:
        """Renew the leases a worker reports; name the tasks it should stop, and drain."""
        now = self.sweep()
        worker = self.as_worker(caller, worker_id, token)
        self._seen(worker, now)
        stop: list[str] = []
        renewed: dict[str, float] = {}
        for reported in running:
            task_id = reported.task_id
            task = self.tasks.get(task_id)
            live = task.lease if task is not None else None
            if (
                task is None
                or live is None
                or live.worker_id != worker.id
                or not leases.matches(live, reported.lease_id)
            ):
                stop.append(task_id)
                continue
            leases.renew(live, now, self.limits.lease_ttl_s)
            if reported.progress is not None:
                task.progress = reported.progress
            renewed[task_id] = live.expires_at
            if task.cancel_requested:
                stop.append(task_id)
        return WorkerHeartbeat(cancel=stop, drain=self.draining, leases=renewed)

    def deregister(self, caller: Principal, worker_id: str, token: str | None) -> WorkerView:
        """Remove a worker; tasks it still holds go back to the queue, each release an attempt.

        Their leases end for good: the server ended them, so no report with them counts.
        """
        now = self.sweep()
        self.as_worker(caller, worker_id, token)
        worker = self.workers.remove(worker_id)
        for task_id in sorted(worker.leases):
            task = self.tasks[task_id]
            attempt = task.lease
            if attempt is not None:
                self._release(task, attempt, now, charge=not self.draining)
        return WorkerView.model_validate(worker)
