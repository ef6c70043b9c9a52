"""What tasks.* and workers.* answer: pydantic models built from the queue's records.

The live lease id of a running task is never shown here: only the worker that claimed it
knows it. Ended leases are shown, so anyone can audit which attempt produced a result.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, JsonValue

from app.tasks.model import Attempt, Outcome, Priority, Task, TaskState
from app.tasks.workers import Health, Worker

Timestamp = Annotated[float, Field(description="Unix time, in seconds.")]


class AttemptView(BaseModel):
    number: int
    lease_id: str | None = Field(description="Shown once the attempt has ended.")
    worker_id: str
    started_at: Timestamp
    ended_at: Timestamp | None
    outcome: Outcome | None = Field(description="How it ended; null while it runs.")


class TaskView(BaseModel):
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
        "revoked, cached."
    )
    progress: float | None
    attempt: int = Field(description="Attempts made so far.")
    max_attempts: int
    cancel_requested: bool
    cached: bool
    depends_on: list[str]
    worker_id: str | None = Field(description="The worker running it now.")
    submitted_at: Timestamp
    ready_at: Timestamp = Field(description="When it may run (after a delay or a retry's backoff).")
    finished_at: Timestamp | None
    expires_at: Timestamp | None = Field(description="When a finished task is forgotten.")
    attempts: list[AttemptView]


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
    heartbeat_interval_s: float
    lease_ttl_s: float


class WorkerHeartbeat(BaseModel):
    cancel: list[str] = Field(
        description="Tasks to stop: cancelled by someone, or their lease is no longer valid."
    )
    drain: bool = Field(description="The server is stopping: finish or release, then deregister.")
    leases: dict[str, Timestamp] = Field(description="Renewed lease expiries, by task id.")


class WorkerView(BaseModel):
    worker_id: str
    name: str
    types: list[str]
    queues: list[str]
    capacity: int
    health: Health
    last_seen: Timestamp
    registered_at: Timestamp
    running: list[str]


def task_view(task: Task) -> TaskView:
    live = task.lease
    return TaskView(
        task_id=task.id,
        type=task.type,
        queue=task.queue,
        priority=task.priority,
        state=task.state,
        emoji=task.state.emoji,
        payload=task.payload,
        result=task.result,
        error=task.error,
        reason=task.reason,
        progress=task.progress,
        attempt=len(task.attempts),
        max_attempts=task.max_attempts,
        cancel_requested=task.cancel_requested,
        cached=task.cached,
        depends_on=list(task.depends_on),
        worker_id=live.worker_id if live is not None else None,
        submitted_at=task.submitted_at,
        ready_at=task.ready_at,
        finished_at=task.finished_at,
        expires_at=task.expires_at,
        attempts=[_attempt_view(a) for a in task.attempts],
    )


def _attempt_view(attempt: Attempt) -> AttemptView:
    return AttemptView(
        number=attempt.number,
        lease_id=None if attempt.live else attempt.lease_id,
        worker_id=attempt.worker_id,
        started_at=attempt.started_at,
        ended_at=attempt.ended_at,
        outcome=attempt.outcome,
    )


def claimed_view(task: Task, attempt: Attempt, dep_results: dict[str, Any]) -> ClaimedTask:
    return ClaimedTask(
        task_id=task.id,
        type=task.type,
        queue=task.queue,
        priority=task.priority,
        payload=task.payload,
        lease_id=attempt.lease_id,
        lease_expires_at=attempt.expires_at,
        deadline=attempt.deadline,
        timeout_s=task.timeout_s,
        attempt=attempt.number,
        max_attempts=task.max_attempts,
        dep_results=dep_results,
    )


def worker_view(worker: Worker) -> WorkerView:
    return WorkerView(
        worker_id=worker.id,
        name=worker.name,
        types=sorted(worker.types),
        queues=sorted(worker.queues),
        capacity=worker.capacity,
        health=worker.health,
        last_seen=worker.last_seen,
        registered_at=worker.registered_at,
        running=sorted(worker.leases),
    )
