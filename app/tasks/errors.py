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
└── TooLarge                        a payload or result over the size limit: no code of its
                                    own, the handler answers -32602 naming its parameter
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
    """A payload or result whose JSON is over the size limit; raised before any change."""

    def __init__(self, what: Literal["payload", "result"], size: int, limit: int) -> None:
        self.what = what
        self.size = size
        self.limit = limit
        super().__init__(f"{what} is {size} bytes of JSON; the limit is {limit}")
