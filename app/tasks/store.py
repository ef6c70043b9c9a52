"""``TaskStore``: every operation behind tasks.* and workers.*, each one atomic.

A backend owns the invariants: a task has at most one live lease, and only that lease may
act on it (any other gets ``LeaseLost`` and changes nothing, except that repeating a report
already made with a lease is harmless); a retried task waits out its backoff; a task whose
dependency failed is cancelled; finished tasks are forgotten once their result expires.
Long-polls (``claim``, ``get``) wait without polling and end early when the backend drains.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol, runtime_checkable

from pydantic import JsonValue

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
        """Add a task, to run at ``run_at`` (Unix time) if given, else ``delay_s`` from now.

        Raises ``TooLarge`` for a payload over the limit, before any change.
        """
        ...

    async def claim(self, worker_id: str, max_tasks: int, wait_s: float) -> list[ClaimedTask]:
        """Lease ready tasks now, or wait up to ``wait_s`` for some (waiting claims are FIFO)."""
        ...

    async def heartbeat(self, task_id: str, lease_id: str, progress: float | None) -> LeaseRenewal:
        """Renew a live lease (never past the task's timeout) and record progress."""
        ...

    async def complete(self, task_id: str, lease_id: str, result: JsonValue) -> TaskView:
        """Record the live attempt's result; ``TooLarge`` for a result over the limit."""
        ...

    async def fail(
        self, task_id: str, lease_id: str, error: JsonValue, retryable: bool
    ) -> TaskView:
        """Record a failed attempt: retried after a backoff while attempts remain."""
        ...

    async def release(self, task_id: str, lease_id: str) -> TaskView:
        """Give the task back unfinished and uncharged: ready again at once."""
        ...

    async def get(self, task_id: str, wait_s: float = 0) -> TaskView:
        """The task, after waiting up to ``wait_s`` for it to finish."""
        ...

    async def list_tasks(
        self,
        state: TaskState | None = None,
        type_: str | None = None,
        queue: str | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> TaskPage:
        """Matching tasks in submit order, a page at a time (``cursor`` from the last page)."""
        ...

    async def stats(self) -> Stats:
        """Counts, the oldest ready task's wait, throughput and workers."""
        ...

    async def cancel(self, task_id: str) -> TaskView:
        """Cancel a task that is not running (and its dependents); flag a running one."""
        ...

    async def requeue(self, task_id: str) -> TaskView:
        """Bring a ``dead`` task back to ``pending`` with a fresh retry budget."""
        ...

    # ---- workers ---------------------------------------------------------------------

    async def register(
        self, name: str, types: Collection[str], queues: Collection[str], capacity: int
    ) -> Registration:
        """Add a worker; answer its id, how often to heartbeat, and the lease TTL."""
        ...

    async def worker_heartbeat(
        self, worker_id: str, running: Sequence[RunningTask]
    ) -> WorkerHeartbeat:
        """Renew the leases it reports; name tasks to stop; say whether the server drains."""
        ...

    async def deregister(self, worker_id: str) -> WorkerView:
        """Remove a worker; the tasks it holds go back to the queue, uncharged."""
        ...

    async def list_workers(self) -> list[WorkerView]:
        """Every known worker, online or offline."""
        ...
