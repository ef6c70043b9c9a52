"""tasks.*: submit work, claim it under a lease, report how it went, and watch it finish.

A task goes ``blocked`` (waiting on dependencies) or ``scheduled`` (delayed) or ``pending``,
then ``running`` under a lease, then ``succeeded``, ``failed``, ``cancelled`` or ``dead``.
Only the worker holding a task's current lease can heartbeat, complete or fail it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, JsonValue

from app.rpc.errors import InvalidParams
from app.rpc.namespace import Method, Namespace
from app.tasks.errors import (
    IdempotencyConflict,
    LeaseLost,
    QueueFull,
    TaskNotFound,
    TaskStateConflict,
    TooLarge,
    UnknownDependency,
    WorkerNotFound,
)
from app.tasks.models import (
    ClaimedTask,
    LeaseId,
    LeaseRenewal,
    Name,
    Priority,
    Stats,
    Submission,
    TaskId,
    TaskPage,
    TaskState,
    TaskView,
)
from app.tasks.store import TaskStore
from handlers.examples import tasks as examples

MAX_CLAIM_WAIT_S = 30
MAX_GET_WAIT_S = 60
DAY = 86_400.0


def _too_large(error: TooLarge) -> InvalidParams:
    """-32602 naming the parameter that is over the size limit."""
    return InvalidParams(data=[{"path": error.what, "problem": str(error), "type": "too_large"}])


async def submit(
    tasks: TaskStore,
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
    try:
        return await tasks.submit(
            type,
            payload,
            priority=priority,
            delay_s=delay_s,
            run_at=run_at,
            depends_on=depends_on,
            max_attempts=max_attempts,
            timeout_s=timeout_s,
            idempotency_key=idempotency_key,
            cache_ttl_s=cache_ttl_s,
            result_ttl_s=result_ttl_s,
            queue=queue,
        )
    except TooLarge as error:
        raise _too_large(error) from None


async def claim(
    tasks: TaskStore,
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
    return await tasks.claim(worker_id, max_tasks, wait_s)


async def heartbeat(
    tasks: TaskStore,
    task_id: TaskId,
    lease_id: LeaseId,
    progress: Annotated[float | None, Field(ge=0, le=1, description="Done so far, 0 to 1.")] = None,
) -> LeaseRenewal:
    """Renew a lease (never past the task's timeout) and report progress."""
    return await tasks.heartbeat(task_id, lease_id, progress)


async def complete(
    tasks: TaskStore, task_id: TaskId, lease_id: LeaseId, result: JsonValue = None
) -> TaskView:
    """Record the task's result. Repeating the call with the same lease changes nothing."""
    try:
        return await tasks.complete(task_id, lease_id, result)
    except TooLarge as error:
        raise _too_large(error) from None


async def fail(
    tasks: TaskStore,
    task_id: TaskId,
    lease_id: LeaseId,
    error: Annotated[JsonValue, Field(description="What went wrong, any JSON value.")] = None,
    retryable: Annotated[bool, Field(description="false: fail for good, no retry.")] = True,
) -> TaskView:
    """Report a failed attempt: retried with backoff while attempts remain, then ``dead``.

    Repeating the call with the same lease changes nothing.
    """
    return await tasks.fail(task_id, lease_id, error, retryable)


async def release(tasks: TaskStore, task_id: TaskId, lease_id: LeaseId) -> TaskView:
    """Give a task back unfinished (a worker shutting down): it is ready again at once.

    The attempt is not charged against ``max_attempts``.
    """
    return await tasks.release(task_id, lease_id)


async def get(
    tasks: TaskStore,
    task_id: TaskId,
    wait_s: Annotated[
        float, Field(ge=0, le=MAX_GET_WAIT_S, description="Long-poll until it finishes.")
    ] = 0,
) -> TaskView:
    """A task, optionally after waiting for it to finish.

    A task whose result has expired is not found (5001), which is distinct from pending.
    """
    return await tasks.get(task_id, wait_s)


async def list_tasks(
    tasks: TaskStore,
    state: TaskState | None = None,
    type: Name | None = None,
    queue: Name | None = None,
    cursor: Annotated[str | None, Field(max_length=20, pattern=r"^\d+$")] = None,
    limit: Annotated[int, Field(ge=1, le=500)] = 100,
) -> TaskPage:
    """Tasks in submit order, filtered by state, type and queue, a page at a time."""
    return await tasks.list_tasks(state, type, queue, cursor, limit)


async def stats(tasks: TaskStore) -> Stats:
    """Counts by state, type and priority; the oldest ready task's wait; throughput; workers."""
    return await tasks.stats()


async def cancel(tasks: TaskStore, task_id: TaskId) -> TaskView:
    """Cancel a task and its dependents now; a running one is flagged for its worker.

    The worker learns of it at its next heartbeat. Cancelling a cancelled task is a no-op.
    """
    return await tasks.cancel(task_id)


async def requeue(tasks: TaskStore, task_id: TaskId) -> TaskView:
    """Bring a ``dead`` task back to ``pending`` with a fresh retry budget."""
    return await tasks.requeue(task_id)


namespace = Namespace(
    "tasks",
    [
        Method(
            submit,
            errors=[UnknownDependency, IdempotencyConflict, QueueFull],
            examples=examples.SUBMIT,
        ),
        Method(
            claim, timeout_s=MAX_CLAIM_WAIT_S + 10, errors=[WorkerNotFound], examples=examples.CLAIM
        ),
        Method(
            heartbeat,
            idempotent=True,
            errors=[TaskNotFound, LeaseLost],
            examples=examples.HEARTBEAT,
        ),
        Method(
            complete, idempotent=True, errors=[TaskNotFound, LeaseLost], examples=examples.COMPLETE
        ),
        Method(fail, idempotent=True, errors=[TaskNotFound, LeaseLost], examples=examples.FAIL),
        Method(
            release, idempotent=True, errors=[TaskNotFound, LeaseLost], examples=examples.RELEASE
        ),
        Method(
            get,
            idempotent=True,
            timeout_s=MAX_GET_WAIT_S + 10,
            errors=[TaskNotFound],
            examples=examples.GET,
        ),
        Method(list_tasks, name="list", idempotent=True, examples=examples.LIST),
        Method(stats, idempotent=True, examples=examples.STATS),
        Method(
            cancel,
            idempotent=True,
            errors=[TaskNotFound, TaskStateConflict],
            examples=examples.CANCEL,
        ),
        Method(
            requeue,
            errors=[TaskNotFound, TaskStateConflict, UnknownDependency],
            examples=examples.REQUEUE,
        ),
    ],
)
