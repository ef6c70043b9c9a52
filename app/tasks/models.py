"""What tasks.* and workers.* take and answer: states, param types and wire models.

`TaskView`, `AttemptView` and `WorkerView` are read straight off the queue's records
(`from_attributes`): each record names its fields as the wire does, so no code copies a
record into its model field by field. The other answers are built once, by the transition
that produces them.

The live lease id of a running task is never shown in a `TaskView`: only the worker that
claimed it knows it. Ended leases are shown, so whoever may see the task can audit which
attempt produced a result. Who may see a task, or act as a worker, is `owners.py`'s rule;
no model carries an owner, and a `worker_token` is answered once, by `workers.register`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, JsonValue

Timestamp = Annotated[float, Field(description="Unix time, in seconds.")]
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
TaskId = Annotated[str, Field(min_length=1, max_length=64, description="From tasks.submit.")]
LeaseId = Annotated[str, Field(min_length=1, max_length=64, description="From tasks.claim.")]
WorkerId = Annotated[str, Field(min_length=1, max_length=64, description="From workers.register.")]
WorkerToken = Annotated[
    str,
    Field(
        min_length=1,
        max_length=128,
        description="The worker's secret, from workers.register. Not needed when calling with "
        "the key that registered the worker.",
    ),
]


class TaskState(StrEnum):
    BLOCKED = "blocked"
    """Waiting for its dependencies to succeed."""
    SCHEDULED = "scheduled"
    """Delayed: waiting for its run time (a delay, or a retry's backoff)."""
    PENDING = "pending"
    """Ready to be claimed."""
    RUNNING = "running"
    """Claimed by a worker, under a lease."""
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DEAD = "dead"
    """Its retry budget is spent, or it waited to run past the pending TTL."""

    @property
    def emoji(self) -> str:
        return _EMOJI[self]

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


_EMOJI = {
    TaskState.BLOCKED: "⛓",
    TaskState.SCHEDULED: "📅",
    TaskState.PENDING: "⏳",
    TaskState.RUNNING: "🏃",
    TaskState.SUCCEEDED: "✅",
    TaskState.FAILED: "❌",
    TaskState.CANCELLED: "🚫",
    TaskState.DEAD: "💀",
}

TERMINAL = frozenset({TaskState.SUCCEEDED, TaskState.FAILED, TaskState.CANCELLED, TaskState.DEAD})
"""States a task never leaves (but a `dead` task can be requeued on request)."""

FAILED_UPSTREAM = frozenset({TaskState.FAILED, TaskState.CANCELLED, TaskState.DEAD})
"""A dependency in one of these states cancels its dependents."""


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """Higher runs first."""
        return _RANK[self]


_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.CRITICAL: 3}


class Outcome(StrEnum):
    """How one attempt (one lease) ended."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    """The worker reported a failure."""
    EXPIRED = "expired"
    """The lease was not renewed in time."""
    TIMED_OUT = "timed_out"
    """The task ran past its `timeout_s`."""
    REVOKED = "revoked"
    """Its worker went offline."""
    RELEASED = "released"
    """The worker gave the task back unfinished; it counts as an attempt unless the server
    was draining."""


class Health(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


# No class docstrings below: pydantic would publish them as schema descriptions.


class AttemptView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    lease_id: str | None = Field(description="Shown once the attempt has ended.")
    worker_id: str
    started_at: Timestamp
    ended_at: Timestamp | None
    outcome: Outcome | None = Field(description="How it ended; null while it runs.")


class TaskView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    task_id: str
    type: str
    queue: str
    priority: Priority
    state: TaskState
    emoji: str
    payload: JsonValue
    result: JsonValue = Field(description="The result, once the task has succeeded.")
    error: JsonValue = Field(description="The last error a worker reported.")
    reason: str | None = Field(
        description="Why it ended so: failed, cancelled, upstream_failed, expired, timed_out, "
        "revoked, released, pending_ttl (it waited too long to run), cached."
    )
    progress: float | None
    attempt: int = Field(
        description="Attempts made so far, all of them (attempts lists only the newest)."
    )
    max_attempts: int
    cancel_requested: bool
    cached: bool
    depends_on: list[str]
    worker_id: str | None = Field(description="The worker running it now.")
    submitted_at: Timestamp
    ready_at: Timestamp = Field(description="When it may run (after a delay or a retry's backoff).")
    finished_at: Timestamp | None
    expires_at: Timestamp | None = Field(description="When a finished task is forgotten.")
    attempts: list[AttemptView] = Field(
        description="The newest attempts, oldest first; the server keeps a few (attempt "
        "counts them all)."
    )


class Submission(BaseModel):
    task_id: str
    state: TaskState
    emoji: str
    deduplicated: bool = Field(description="The idempotency key named an existing task: this one.")
    cached: bool = Field(description="Answered from the result cache without running.")


class ClaimedTask(BaseModel):
    task_id: str
    type: str
    queue: str
    priority: Priority
    payload: JsonValue
    lease_id: str = Field(description="Proof of this attempt for heartbeat, complete and fail.")
    lease_expires_at: Timestamp
    deadline: Timestamp = Field(description="The attempt's timeout: no heartbeat renews past it.")
    timeout_s: float = Field(description="The longest this attempt may run.")
    attempt: int
    max_attempts: int
    dep_results: dict[str, JsonValue] = Field(description="Each dependency's result, by task id.")
    traceparent: str | None = Field(
        default=None,
        description="The W3C trace context tasks.submit ran in, when the server traces: a "
        "worker's span for this attempt links to it.",
    )


class LeaseRenewal(BaseModel):
    task_id: str
    lease_expires_at: Timestamp
    cancel_requested: bool = Field(description="Someone asked to cancel it: stop and call fail.")


class TaskPage(BaseModel):
    tasks: list[TaskView]
    next_cursor: str | None = Field(
        description="Pass as cursor for the next page; null at the end."
    )


class Stats(BaseModel):
    total: int = Field(description="Tasks held, finished ones included.")
    by_state: dict[str, int]
    by_type: dict[str, int]
    by_priority: dict[str, int]
    oldest_pending_age_s: float | None = Field(description="How long the oldest ready task waited.")
    finished_last_minute: int = Field(description="Tasks that succeeded, failed or died.")
    throughput_per_s: float = Field(description="finished_last_minute / 60.")
    workers_online: int
    workers_offline: int
    expired: int = Field(description="Finished tasks forgotten since the server started.")


class Registration(BaseModel):
    worker_id: str = Field(
        description="Names the worker in its later calls. Not a secret: workers.list shows it."
    )
    worker_token: str = Field(
        description="The worker's secret, shown only here: send it as worker_token in every "
        "later worker call (the server keeps only its digest)."
    )
    heartbeat_interval_s: float
    lease_ttl_s: float


class RunningTask(BaseModel):
    task_id: TaskId
    lease_id: LeaseId
    progress: Annotated[float | None, Field(ge=0, le=1)] = None


class WorkerHeartbeat(BaseModel):
    cancel: list[str] = Field(
        description="Tasks to stop: cancelled by someone, or their lease is no longer valid."
    )
    drain: bool = Field(description="The server is stopping: finish or release, then deregister.")
    leases: dict[str, Timestamp] = Field(description="Renewed lease expiries, by task id.")


class WorkerView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    worker_id: str
    name: str
    types: list[str]
    queues: list[str]
    capacity: int
    health: Health
    last_seen: Timestamp
    registered_at: Timestamp
    running: list[str]
