"""The task queue's domain errors (codes 5xxx).

DomainError
├── NotFound
│   ├── TaskNotFound          5001  no such task, or its result has expired
│   ├── WorkerNotFound        5003  no such worker (never registered, or deregistered)
│   └── UnknownDependency     5004  depends_on names a task that does not exist
├── Conflict
│   ├── LeaseLost             5002  the lease is not the task's current one
│   ├── IdempotencyConflict   5005  the key was used with another type or payload
│   └── QueueFull             5007  the server holds as many tasks as it may
└── InvalidState
    └── TaskStateConflict     5006  not allowed in the task's state (requeue a live task…)

ValueError
├── TooLarge                        a payload, result or error over the size limit
└── TooLate                         a run time past the task's pending TTL
                                    (neither has a code of its own: the handler answers
                                    -32602 naming its parameter)

Caps and quotas (``app.tasks.budget``, ``app.tasks.workers``) raise the engine's -32005
``Overloaded`` and -32006 ``QuotaExceeded``; the task count cap stays 5007 ``QueueFull``.
"""

from __future__ import annotations

from typing import Literal

from app.rpc.errors import Conflict, InvalidState, NotFound


class TaskNotFound(NotFound):
    code = 5001
    message = "Task not found"


class LeaseLost(Conflict):
    code = 5002
    message = "Lease lost"


class WorkerNotFound(NotFound):
    code = 5003
    message = "Worker not found"


class UnknownDependency(NotFound):
    code = 5004
    message = "Unknown dependency"


class IdempotencyConflict(Conflict):
    code = 5005
    message = "Idempotency key reused with a different task"


class TaskStateConflict(InvalidState):
    code = 5006
    message = "Not allowed in the task's state"


class QueueFull(Conflict):
    code = 5007
    message = "Task queue full"


class TooLarge(ValueError):
    """A payload, result or error whose JSON is over the size limit; raised before any change."""

    def __init__(self, what: Literal["payload", "result", "error"], size: int, limit: int) -> None:
        self.what = what
        self.size = size
        self.limit = limit
        super().__init__(f"{what} is {size} bytes of JSON; the limit is {limit}")


class TooLate(ValueError):
    """A task set to run after it would have given up waiting (``task_pending_ttl_s``)."""

    def __init__(self, what: Literal["delay_s", "run_at"], wait_s: float, limit_s: float) -> None:
        self.what = what
        self.wait_s = wait_s
        self.limit_s = limit_s
        super().__init__(
            f"the task would wait {wait_s:g} s to run; tasks that have not run within "
            f"{limit_s:g} s of their submit give up"
        )
