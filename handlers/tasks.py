"""tasks.*: submit work, claim it under a lease, report how it went, and watch it finish.

A task goes ``blocked`` (waiting on dependencies) or ``scheduled`` (delayed) or ``pending``,
then ``running`` under a lease, then ``succeeded``, ``failed``, ``cancelled`` or ``dead``.
Only the worker holding a task's current lease can heartbeat, complete or fail it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, JsonValue

from app.rpc.errors import InvalidParams
from app.rpc.namespace import Example, Method, Namespace
from app.store import Store
from app.tasks.errors import (
    IdempotencyConflict,
    LeaseLost,
    QueueFull,
    TaskNotFound,
    TaskStateConflict,
    UnknownDependency,
    WorkerNotFound,
)
from app.tasks.model import Priority, Task, TaskState
from app.tasks.stats import stats as compute_stats
from app.tasks.views import (
    ClaimedTask,
    LeaseRenewal,
    Stats,
    Submission,
    TaskPage,
    TaskView,
    claimed_view,
    task_view,
)

MAX_CLAIM_WAIT_S = 30
MAX_GET_WAIT_S = 60
DAY = 86_400.0

Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
TaskId = Annotated[str, Field(min_length=1, max_length=64, description="From tasks.submit.")]
LeaseId = Annotated[str, Field(min_length=1, max_length=64, description="From tasks.claim.")]


async def submit(
    store: Store,
    type: Annotated[
        Name, Field(description="What kind of work; workers declare the types they run.")
    ],
    payload: Annotated[JsonValue, Field(description="The task's input, any JSON value.")] = None,
    priority: Priority = Priority.NORMAL,
    delay_s: Annotated[float, Field(ge=0, le=365 * DAY, description="Run no sooner.")] = 0,
    run_at: Annotated[
        float | None, Field(ge=0, description="Unix time to run at (instead of delay_s).")
    ] = None,
    depends_on: Annotated[
        tuple[str, ...],
        Field(max_length=100, description="Task ids that must succeed first."),
    ] = (),
    max_attempts: Annotated[int, Field(ge=1, le=100)] = 3,
    timeout_s: Annotated[
        float | None, Field(gt=0, le=DAY, description="Longest run of one attempt.")
    ] = None,
    idempotency_key: Annotated[
        str | None,
        Field(min_length=1, max_length=200, description="Submitting again returns the original."),
    ] = None,
    cache_ttl_s: Annotated[
        float,
        Field(ge=0, le=30 * DAY, description="Reuse (and offer) a success for the same payload."),
    ] = 0,
    result_ttl_s: Annotated[
        float | None, Field(gt=0, le=30 * DAY, description="How long the result is kept.")
    ] = None,
    queue: Name = "default",
) -> Submission:
    """Submit a task; answer its id and state.

    Higher priorities run first (low, normal, high, critical); ties go by ready time, then
    submit order. With ``idempotency_key`` a repeat returns the original task
    (``deduplicated``); with ``cache_ttl_s`` a recent success for the same type and payload
    answers at once (``cached``). A task whose dependency has already failed is cancelled.
    """
    if delay_s and run_at is not None:
        raise InvalidParams(
            data=[
                {
                    "path": "run_at",
                    "problem": "give delay_s or run_at, not both",
                    "type": "exclusive",
                    "value": run_at,
                }
            ]
        )
    if run_at is None:
        run_at = store.clock.time() + delay_s if delay_s else None
    submitted = await store.tasks.submit(
        type,
        payload,
        priority=priority,
        run_at=run_at,
        depends_on=depends_on,
        max_attempts=max_attempts,
        timeout_s=timeout_s,
        idempotency_key=idempotency_key,
        cache_ttl_s=cache_ttl_s,
        result_ttl_s=result_ttl_s,
        queue=queue,
    )
    task = submitted.task
    return Submission(
        task_id=task.id,
        state=task.state,
        emoji=task.state.emoji,
        deduplicated=submitted.deduplicated,
        cached=task.cached,
    )


async def claim(
    store: Store,
    worker_id: str,
    max_tasks: Annotated[int, Field(ge=1, le=100)] = 1,
    wait_s: Annotated[
        float, Field(ge=0, le=MAX_CLAIM_WAIT_S, description="Long-poll this long for work.")
    ] = 0,
) -> list[ClaimedTask]:
    """Lease up to ``max_tasks`` tasks of the worker's types and queues; ``[]`` if none came.

    Waiting claims are served first come, first served. Each task comes with a fresh
    ``lease_id``: heartbeat before ``lease_expires_at``, then complete or fail.
    """
    claimed = await store.tasks.claim(worker_id, max_tasks, wait_s)
    return [claimed_view(t, a, store.tasks.queue.dep_results(t)) for t, a in claimed]


async def heartbeat(
    store: Store,
    task_id: TaskId,
    lease_id: LeaseId,
    progress: Annotated[float | None, Field(ge=0, le=1, description="Done so far, 0 to 1.")] = None,
) -> LeaseRenewal:
    """Renew a lease (never past the task's timeout) and report progress."""
    task, lease = await store.tasks.heartbeat(task_id, lease_id, progress)
    return LeaseRenewal(
        task_id=task.id, lease_expires_at=lease.expires_at, cancel_requested=task.cancel_requested
    )


async def complete(
    store: Store, task_id: TaskId, lease_id: LeaseId, result: JsonValue = None
) -> TaskView:
    """Record the task's result. Repeating the call with the same lease changes nothing."""
    return task_view(await store.tasks.complete(task_id, lease_id, result))


async def fail(
    store: Store,
    task_id: TaskId,
    lease_id: LeaseId,
    error: Annotated[JsonValue, Field(description="What went wrong, any JSON value.")] = None,
    retryable: Annotated[bool, Field(description="false: fail for good, no retry.")] = True,
) -> TaskView:
    """Report a failed attempt: retried with backoff while attempts remain, then ``dead``.

    Repeating the call with the same lease changes nothing.
    """
    return task_view(await store.tasks.fail(task_id, lease_id, error, retryable))


async def release(store: Store, task_id: TaskId, lease_id: LeaseId) -> TaskView:
    """Give a task back unfinished (a worker shutting down): it is ready again at once.

    The attempt is not charged against ``max_attempts``.
    """
    return task_view(await store.tasks.release(task_id, lease_id))


async def get(
    store: Store,
    task_id: TaskId,
    wait_s: Annotated[
        float, Field(ge=0, le=MAX_GET_WAIT_S, description="Long-poll until it finishes.")
    ] = 0,
) -> TaskView:
    """A task, optionally after waiting for it to finish.

    A task whose result has expired is not found (5001), which is distinct from pending.
    """
    return task_view(await store.tasks.get(task_id, wait_s))


async def list_tasks(
    store: Store,
    state: TaskState | None = None,
    type: Name | None = None,
    queue: Name | None = None,
    cursor: Annotated[str | None, Field(max_length=20, pattern=r"^\d+$")] = None,
    limit: Annotated[int, Field(ge=1, le=500)] = 100,
) -> TaskPage:
    """Tasks in submit order, filtered by state, type and queue, a page at a time."""
    store.tasks.sweep()
    page: list[Task] = []
    next_cursor = None
    for task in store.tasks.queue.scan(int(cursor) if cursor else 0):
        if (
            (state is None or task.state is state)
            and (type is None or task.type == type)
            and (queue is None or task.queue == queue)
        ):
            if len(page) == limit:
                next_cursor = str(page[-1].seq)
                break
            page.append(task)
    return TaskPage(tasks=[task_view(task) for task in page], next_cursor=next_cursor)


async def stats(store: Store) -> Stats:
    """Counts by state, type and priority; the oldest ready task's wait; throughput; workers."""
    store.tasks.sweep()
    return compute_stats(store.tasks.queue)


async def cancel(store: Store, task_id: TaskId) -> TaskView:
    """Cancel a task and its dependents now; a running one is flagged for its worker.

    The worker learns of it at its next heartbeat. Cancelling a cancelled task is a no-op.
    """
    return task_view(await store.tasks.cancel(task_id))


async def requeue(store: Store, task_id: TaskId) -> TaskView:
    """Bring a ``dead`` task back to ``pending`` with a fresh retry budget."""
    return task_view(await store.tasks.requeue(task_id))


_VIEW = {
    "task_id": "t_3Jx9QmVb1kA0Zp2c",
    "type": "compute",
    "queue": "default",
    "priority": "normal",
    "state": "succeeded",
    "emoji": "✅",
    "payload": {"op": "add", "a": 2, "b": 3},
    "result": 5,
    "error": None,
    "reason": None,
    "progress": 1.0,
    "attempt": 1,
    "max_attempts": 3,
    "cancel_requested": False,
    "cached": False,
    "depends_on": [],
    "worker_id": None,
    "submitted_at": 1800000000.0,
    "ready_at": 1800000000.0,
    "finished_at": 1800000001.5,
    "expires_at": 1800003601.5,
    "attempts": [
        {
            "number": 1,
            "lease_id": "l_Qm3v8N0aZr5tYw1xKp7s2dLc",
            "worker_id": "w_x81LkQz0RbT2",
            "started_at": 1800000000.5,
            "ended_at": 1800000001.5,
            "outcome": "succeeded",
        }
    ],
}
_TASK = {"task_id": _VIEW["task_id"]}
_LEASE = {**_TASK, "lease_id": "l_Qm3v8N0aZr5tYw1xKp7s2dLc"}

namespace = Namespace(
    "tasks",
    [
        Method(
            submit,
            errors=[UnknownDependency, IdempotencyConflict, QueueFull],
            examples=[
                Example(
                    "add two numbers",
                    {"type": "compute", "payload": {"op": "add", "a": 2, "b": 3}},
                    {
                        "task_id": _VIEW["task_id"],
                        "state": "pending",
                        "emoji": "⏳",
                        "deduplicated": False,
                        "cached": False,
                    },
                )
            ],
        ),
        Method(
            claim,
            timeout_s=MAX_CLAIM_WAIT_S + 10,
            errors=[WorkerNotFound],
            examples=[
                Example(
                    "one task",
                    {"worker_id": "w_x81LkQz0RbT2", "wait_s": 10},
                    [
                        {
                            "task_id": _VIEW["task_id"],
                            "type": "compute",
                            "queue": "default",
                            "priority": "normal",
                            "payload": {"op": "add", "a": 2, "b": 3},
                            "lease_id": _LEASE["lease_id"],
                            "lease_expires_at": 1800000030.5,
                            "deadline": 1800000300.5,
                            "timeout_s": 300.0,
                            "attempt": 1,
                            "max_attempts": 3,
                            "dep_results": {},
                        }
                    ],
                )
            ],
        ),
        Method(
            heartbeat,
            idempotent=True,
            errors=[TaskNotFound, LeaseLost],
            examples=[
                Example(
                    "half way",
                    {**_LEASE, "progress": 0.5},
                    {**_TASK, "lease_expires_at": 1800000031.0, "cancel_requested": False},
                )
            ],
        ),
        Method(
            complete,
            idempotent=True,
            errors=[TaskNotFound, LeaseLost],
            examples=[Example("the result", {**_LEASE, "result": 5}, _VIEW)],
        ),
        Method(
            fail,
            idempotent=True,
            errors=[TaskNotFound, LeaseLost],
            examples=[
                Example(
                    "for good",
                    {**_LEASE, "error": {"message": "division by zero"}, "retryable": False},
                    {
                        **_VIEW,
                        "state": "failed",
                        "emoji": "❌",
                        "result": None,
                        "error": {"message": "division by zero"},
                        "reason": "failed",
                        "attempts": [{**_VIEW["attempts"][0], "outcome": "failed"}],  # type: ignore[index]
                    },
                )
            ],
        ),
        Method(
            release,
            idempotent=True,
            errors=[TaskNotFound, LeaseLost],
            examples=[
                Example(
                    "give it back",
                    _LEASE,
                    {
                        **_VIEW,
                        "state": "pending",
                        "emoji": "⏳",
                        "result": None,
                        "progress": None,
                        "finished_at": None,
                        "expires_at": None,
                        "attempts": [{**_VIEW["attempts"][0], "outcome": "released"}],  # type: ignore[index]
                    },
                )
            ],
        ),
        Method(
            get,
            idempotent=True,
            timeout_s=MAX_GET_WAIT_S + 10,
            errors=[TaskNotFound],
            examples=[Example("wait for it", {**_TASK, "wait_s": 30}, _VIEW)],
        ),
        Method(
            list_tasks,
            name="list",
            idempotent=True,
            examples=[
                Example(
                    "succeeded",
                    {"state": "succeeded", "limit": 1},
                    {"tasks": [_VIEW], "next_cursor": "1"},
                )
            ],
        ),
        Method(
            stats,
            idempotent=True,
            examples=[
                Example(
                    "one done",
                    {},
                    {
                        "total": 1,
                        "by_state": {
                            state.value: int(state is TaskState.SUCCEEDED) for state in TaskState
                        },
                        "by_type": {"compute": 1},
                        "by_priority": {"low": 0, "normal": 1, "high": 0, "critical": 0},
                        "oldest_pending_age_s": None,
                        "finished_last_minute": 1,
                        "throughput_per_s": 1 / 60,
                        "workers_online": 1,
                        "workers_offline": 0,
                        "expired": 0,
                    },
                )
            ],
        ),
        Method(
            cancel,
            idempotent=True,
            errors=[TaskNotFound, TaskStateConflict],
            examples=[
                Example(
                    "not started yet",
                    _TASK,
                    {
                        **_VIEW,
                        "state": "cancelled",
                        "emoji": "🚫",
                        "result": None,
                        "progress": None,
                        "reason": "cancelled",
                        "cancel_requested": True,
                        "attempt": 0,
                        "attempts": [],
                    },
                )
            ],
        ),
        Method(
            requeue,
            errors=[TaskNotFound, TaskStateConflict, UnknownDependency],
            examples=[
                Example(
                    "a dead task",
                    _TASK,
                    {
                        **_VIEW,
                        "state": "pending",
                        "emoji": "⏳",
                        "result": None,
                        "progress": None,
                        "finished_at": None,
                        "expires_at": None,
                        "error": {"message": "connection refused"},
                        "attempt": 3,
                        "attempts": [
                            {**_VIEW["attempts"][0], "number": n, "outcome": "failed"}  # type: ignore[index]
                            for n in (1, 2, 3)
                        ],
                    },
                )
            ],
        ),
    ],
)
