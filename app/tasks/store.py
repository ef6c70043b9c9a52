"""``TaskStore``: every operation behind tasks.* and workers.*, each one atomic.

A backend owns the invariants: a task has at most one live lease, and only that lease may
act on it (any other gets ``LeaseLost`` and changes nothing, whoever asks; the worker may
only repeat the report that ended the task's latest attempt, harmlessly); a lease that a
release or a deregistration ended stays ended; a retried task waits out its backoff; a task
whose dependency failed is cancelled; finished tasks are forgotten once their result expires;
a task still waiting to run ``task_pending_ttl_s`` after its submit (or requeue) ends ``dead``;
attempts (releases too) never exceed ``max_attempts`` between requeues; stored tasks and
their JSON bytes stay within the caps and quotas (``app.tasks.budget``), and workers within
theirs.
Long-polls (``claim``, ``get``) wait without polling and end early when the backend drains.

Every operation takes ``caller``, the ``Principal`` making the call (handlers pass
``ctx.principal``): the whole Principal, since a backend must see ``admin`` as well as the
id. The backend applies ``app.tasks.owners`` to it. A task belongs to its submitter, a worker
to its registrant: anyone who may not see a task gets ``TaskNotFound``, and anyone who may not
act as a worker gets ``WorkerNotFound``, exactly as for an id that never existed. Worker
operations, and lease reports as the worker holding the lease, also take ``token``: the
``worker_token`` that ``register`` answered, which is enough on its own.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol, runtime_checkable

from pydantic import JsonValue

from app.rpc.access import Principal
from app.tasks.models import (
    ClaimedTask,
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


@runtime_checkable
class TaskStore(Protocol):
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
        """Add a task of ``caller``'s, to run at ``run_at`` (Unix time) if given, else
        ``delay_s`` from now.

        Idempotency keys and the result cache are each principal's own. ``depends_on`` may
        name only tasks ``caller`` may see (others are ``UnknownDependency``). Raises, before
        any change: ``TooLarge`` for a payload over the limit, ``TooLate`` for a run time
        past the pending TTL, ``QuotaExceeded`` (``resource`` "tasks" or "task_bytes") past
        the caller's quotas, ``QueueFull`` at the task cap, ``Overloaded`` past the byte
        budget for submits.
        """
        ...

    async def claim(
        self,
        caller: Principal,
        worker_id: str,
        max_tasks: int,
        wait_s: float,
        *,
        token: str | None = None,
    ) -> list[ClaimedTask]:
        """Lease ready tasks now, or wait up to ``wait_s`` for some (waiting claims are FIFO)."""
        ...

    async def heartbeat(
        self,
        caller: Principal,
        task_id: str,
        lease_id: str,
        progress: float | None,
        *,
        token: str | None = None,
    ) -> LeaseRenewal:
        """Renew a live lease (never past the task's timeout) and record progress."""
        ...

    async def complete(
        self,
        caller: Principal,
        task_id: str,
        lease_id: str,
        result: JsonValue,
        *,
        token: str | None = None,
    ) -> TaskView:
        """Record the live attempt's result; ``TooLarge`` for a result over the limit, and
        ``Overloaded`` if it does not fit the byte budget (nothing changes: retry later)."""
        ...

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
        """Record a failed attempt: retried after a backoff while attempts remain.

        ``TooLarge`` and ``Overloaded`` for an ``error`` as for a result."""
        ...

    async def release(
        self, caller: Principal, task_id: str, lease_id: str, *, token: str | None = None
    ) -> TaskView:
        """Give the task back unfinished: ready again at once. The release counts as an
        attempt (unless the server is draining): the last one leaves it ``dead``."""
        ...

    async def get(self, caller: Principal, task_id: str, wait_s: float = 0) -> TaskView:
        """The task, after waiting up to ``wait_s`` for it to finish: for its owner, admin,
        or the principal of the worker holding its live lease."""
        ...

    async def list_tasks(
        self,
        caller: Principal,
        state: TaskState | None = None,
        type_: str | None = None,
        queue: str | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> TaskPage:
        """``caller``'s matching tasks (everyone's for admin) in submit order, a page at a
        time (``cursor`` from the last page)."""
        ...

    async def stats(self, caller: Principal) -> Stats:
        """Counts, the oldest ready task's wait, throughput and workers: of ``caller``'s own
        tasks and workers (everyone's for admin)."""
        ...

    async def cancel(self, caller: Principal, task_id: str) -> TaskView:
        """Cancel a task that is not running (and its dependents); flag a running one.

        Only its owner or admin may: anyone else gets ``TaskNotFound``.
        """
        ...

    async def requeue(self, caller: Principal, task_id: str) -> TaskView:
        """Bring a ``dead`` task back to ``pending`` with a fresh retry budget (owner or admin)."""
        ...

    async def owner_of(self, task_id: str) -> str | None:
        """The id of the principal a task belongs to, or None if there is no such task.

        For routing its events to the owner's topic; never shown to a caller.
        """
        ...

    # ---- workers ---------------------------------------------------------------------

    async def register(
        self,
        caller: Principal,
        name: str,
        types: Collection[str],
        queues: Collection[str],
        capacity: int,
    ) -> Registration:
        """Add a worker of ``caller``'s; answer its id, its secret token (only here), how often
        to heartbeat, and the lease TTL. At the caller's quota or the total cap the oldest
        offline worker in the way is forgotten; with none, ``QuotaExceeded`` (``resource``
        "workers") or ``Overloaded``."""
        ...

    async def worker_heartbeat(
        self,
        caller: Principal,
        worker_id: str,
        running: Sequence[RunningTask],
        *,
        token: str | None = None,
    ) -> WorkerHeartbeat:
        """Renew the leases it reports; name tasks to stop; say whether the server drains."""
        ...

    async def deregister(
        self, caller: Principal, worker_id: str, *, token: str | None = None
    ) -> WorkerView:
        """Remove a worker; the tasks it holds go back to the queue (each release an attempt,
        as for ``release``), and the leases it held are ended for good."""
        ...

    async def list_workers(
        self, caller: Principal, after: str | None = None, limit: int = 100
    ) -> list[WorkerView]:
        """Up to ``limit`` of ``caller``'s workers (every one for admin), online or offline,
        in worker id order after the id ``after``, each listing only the running tasks
        ``caller`` may see. A page shorter than ``limit`` is the last."""
        ...
