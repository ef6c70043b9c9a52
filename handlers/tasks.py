"""tasks.*: submit work, claim it under a lease, report how it went, and watch it finish.

A task goes `blocked` (waiting on dependencies) or `scheduled` (delayed) or `pending`,
then `running` under a lease, then `succeeded`, `failed`, `cancelled` or `dead`.
Only the worker holding a task's current lease can heartbeat, complete or fail it, and only
as that worker: with its `worker_token`, or with the key that registered it.

A task belongs to the principal that submitted it. Its payload, result and error are shown
to that principal, to the worker holding its live lease, and to `admin`; anyone else gets
5001 for it, as for a task that does not exist. `tasks.list` and `tasks.stats` cover
only your own tasks (everyone's for admin); only the owner or admin may cancel or requeue.

What the queue stores is bounded (docs/limits.md): a caller past its own quota on stored
tasks or their bytes gets -32006 (`resource` "tasks" or "task_bytes", `limit`, `held`);
a server whose byte budget is full answers -32005 (`resource` "task_bytes", `limit`); the
task cap stays 5007. A task still waiting to run `task_pending_ttl_s` after its submit
ends `dead` with reason `pending_ttl`, and cancels its dependents.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, JsonValue

from app.events.models import Since
from app.events.store import EventStore
from app.rpc.context import CallContext
from app.rpc.errors import InvalidParams
from app.rpc.namespace import Example, Handler, Method, Namespace
from app.rpc.subscriptions import Subscribed
from app.rpc.unsubscribe import unsubscribe_method
from app.tasks import topics
from app.tasks.errors import (
    IdempotencyConflict,
    LeaseLost,
    QueueFull,
    TaskNotFound,
    TaskStateConflict,
    TooLarge,
    TooLate,
    UnknownDependency,
    WorkerNotFound,
)
from app.tasks.models import (
    TERMINAL,
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
    WorkerToken,
)
from app.tasks.store import TaskStore
from handlers.examples import tasks as examples

MAX_CLAIM_WAIT_S = 30
MAX_GET_WAIT_S = 60
DAY = 86_400.0
SUBMIT = "tasks:submit"
"""Submit tasks, and read, list, count, cancel and requeue your own."""
WORK = "tasks:work"
"""Act as a worker: workers.*, and claiming and reporting on tasks."""


def _too_large(error: TooLarge) -> InvalidParams:
    """-32602 naming the parameter that is over the size limit."""
    return InvalidParams(data=[{"path": error.what, "problem": str(error), "type": "too_large"}])


def _too_late(error: TooLate, value: float | None) -> InvalidParams:
    """-32602 naming the run time that is past the pending TTL."""
    problem = {"path": error.what, "problem": str(error), "type": "too_late", "value": value}
    return InvalidParams(data=[problem])


async def submit(
    tasks: TaskStore,
    events: EventStore,
    ctx: CallContext,
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
    submit order. With `idempotency_key` a repeat returns the original task
    (`deduplicated`); with `cache_ttl_s` a recent success for the same type and payload
    answers at once (`cached`). A task whose dependency has already failed is cancelled.

    Past your quota on stored tasks or their bytes: -32006; a full server: 5007 (tasks) or
    -32005 (bytes). A run time past `task_pending_ttl_s` from now: -32602.
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
        submission = await tasks.submit(
            ctx.principal,
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
    except TooLate as error:
        raise _too_late(error, run_at if error.what == "run_at" else delay_s) from None
    if not submission.deduplicated:
        await events.publish(
            topics.topic(ctx.principal.id), topics.submitted(submission, type, queue)
        )
    return submission


async def claim(
    tasks: TaskStore,
    events: EventStore,
    ctx: CallContext,
    worker_id: str,
    max_tasks: Annotated[int, Field(ge=1, le=100)] = 1,
    wait_s: Annotated[
        float, Field(ge=0, le=MAX_CLAIM_WAIT_S, description="Long-poll this long for work.")
    ] = 0,
    worker_token: WorkerToken | None = None,
) -> list[ClaimedTask]:
    """Lease up to `max_tasks` tasks of the worker's types and queues; `[]` if none came.

    Waiting claims are served first come, first served. Each task comes with a fresh
    `lease_id`: heartbeat before `lease_expires_at`, then complete or fail.
    """
    claimed = await tasks.claim(ctx.principal, worker_id, max_tasks, wait_s, token=worker_token)
    for task in claimed:
        await _publish(tasks, events, task.task_id, topics.started(task))
    return claimed


async def heartbeat(
    tasks: TaskStore,
    events: EventStore,
    ctx: CallContext,
    task_id: TaskId,
    lease_id: LeaseId,
    progress: Annotated[float | None, Field(ge=0, le=1, description="Done so far, 0 to 1.")] = None,
    worker_token: WorkerToken | None = None,
) -> LeaseRenewal:
    """Renew a lease (never past the task's timeout) and report progress."""
    renewal = await tasks.heartbeat(ctx.principal, task_id, lease_id, progress, token=worker_token)
    if progress is not None:
        await _publish(tasks, events, task_id, topics.progressed(task_id, progress))
    return renewal


async def complete(
    tasks: TaskStore,
    events: EventStore,
    ctx: CallContext,
    task_id: TaskId,
    lease_id: LeaseId,
    result: JsonValue = None,
    worker_token: WorkerToken | None = None,
) -> TaskView:
    """Record the task's result. Repeating the call with the same lease changes nothing.

    A result the server's byte budget has no room for gets -32005 and changes nothing: the
    lease stays live, so retry later (heartbeating meanwhile) or fail the task.
    """
    try:
        view = await tasks.complete(ctx.principal, task_id, lease_id, result, token=worker_token)
    except TooLarge as error:
        raise _too_large(error) from None
    return await _changed(tasks, events, view)


async def fail(
    tasks: TaskStore,
    events: EventStore,
    ctx: CallContext,
    task_id: TaskId,
    lease_id: LeaseId,
    error: Annotated[JsonValue, Field(description="What went wrong, any JSON value.")] = None,
    retryable: Annotated[bool, Field(description="false: fail for good, no retry.")] = True,
    worker_token: WorkerToken | None = None,
) -> TaskView:
    """Report a failed attempt: retried with backoff while attempts remain, then `dead`.

    Repeating the call with the same lease changes nothing. An `error` is limited as a
    result is (-32602 over the size limit, -32005 if the byte budget has no room).
    """
    try:
        view = await tasks.fail(
            ctx.principal, task_id, lease_id, error, retryable, token=worker_token
        )
    except TooLarge as too_large:
        raise _too_large(too_large) from None
    return await _changed(tasks, events, view)


async def release(
    tasks: TaskStore,
    events: EventStore,
    ctx: CallContext,
    task_id: TaskId,
    lease_id: LeaseId,
    worker_token: WorkerToken | None = None,
) -> TaskView:
    """Give a task back unfinished (a worker shutting down): it is ready again at once.

    A task's first two releases are free (a worker restarted mid-task); after that each
    counts against `max_attempts` like any attempt (unless the server is draining), and
    the last leaves the task `dead`, reason `released`. Its lease is over for good:
    completing or failing with it afterwards gets 5002.
    """
    return await _changed(
        tasks, events, await tasks.release(ctx.principal, task_id, lease_id, token=worker_token)
    )


async def get(
    tasks: TaskStore,
    ctx: CallContext,
    task_id: TaskId,
    wait_s: Annotated[
        float, Field(ge=0, le=MAX_GET_WAIT_S, description="Long-poll until it finishes.")
    ] = 0,
) -> TaskView:
    """A task, optionally after waiting for it to finish.

    A task whose result has expired is not found (5001), which is distinct from pending.
    So is another principal's task, unless you are admin or your worker holds its lease.
    """
    return await tasks.get(ctx.principal, task_id, wait_s)


async def list_tasks(
    tasks: TaskStore,
    ctx: CallContext,
    state: TaskState | None = None,
    type: Name | None = None,
    queue: Name | None = None,
    cursor: Annotated[str | None, Field(max_length=20, pattern=r"^\d+$")] = None,
    # 200 views take about 3 ms to build: a longer page would hold the loop too long.
    limit: Annotated[int, Field(ge=1, le=200)] = 100,
) -> TaskPage:
    """Your tasks in submit order, filtered by state, type and queue, a page at a time.

    Only the tasks you submitted, unless you are admin.
    """
    return await tasks.list_tasks(ctx.principal, state, type, queue, cursor, limit)


async def stats(tasks: TaskStore, ctx: CallContext) -> Stats:
    """Counts by state, type and priority; the oldest ready task's wait; throughput; workers.

    Of your own tasks and workers (everyone's for admin).
    """
    return await tasks.stats(ctx.principal)


async def cancel(
    tasks: TaskStore, events: EventStore, ctx: CallContext, task_id: TaskId
) -> TaskView:
    """Cancel a task and its dependents now; a running one is flagged for its worker.

    The worker learns of it at its next heartbeat. Cancelling a cancelled task is a no-op.
    Only the task's owner, or admin, may cancel it.
    """
    return await _changed(tasks, events, await tasks.cancel(ctx.principal, task_id))


async def requeue(
    tasks: TaskStore, events: EventStore, ctx: CallContext, task_id: TaskId
) -> TaskView:
    """Bring a `dead` task back to `pending` with a fresh retry budget.

    Only the task's owner, or admin, may requeue it.
    """
    return await _changed(tasks, events, await tasks.requeue(ctx.principal, task_id))


async def subscribe(
    tasks: TaskStore,
    events: EventStore,
    ctx: CallContext,
    task_id: Annotated[
        TaskId | None, Field(description="Follow this task alone; unset: all of your tasks.")
    ] = None,
    since: Since = None,
) -> Subscribed:
    """Be told of your tasks' changes as they happen, instead of asking again.

    Each notification's `result` is a change: `task_id` and `state` always, with
    `progress`, `attempt`, `reason`, `result` and `error` where known. With
    `task_id`, only that task (yours, or admin): unless `since` recovers what you missed,
    you are sent the task as it is now (after any change made while subscribing), and its
    end is always told, even one no call made (a lease that expired for the last time); the
    subscription ends with it (an event stream closes). Needs a WebSocket or
    `Accept: text/event-stream`.
    """
    async with ctx.subscription("tasks") as subscription:
        if task_id is None:
            replay = await subscription.follow(events, topics.topic(ctx.principal.id), since)
            return subscription.subscribed(replay)
        await tasks.get(ctx.principal, task_id)  # 5001 unless the caller may see it
        owner = await tasks.owner_of(task_id) or ctx.principal.id
        ended = False

        def only_this(change: JsonValue) -> JsonValue | None:
            nonlocal ended
            if ended or not isinstance(change, dict) or change.get("task_id") != task_id:
                return None
            ended = change.get("state") in TERMINAL_STATES
            if ended:
                subscription.finish()  # after this last change is sent
            return change

        # Listen first, then read: a change in between comes before the state read, never
        # lost; the state read comes first only when there is nothing to resume.
        replay = await subscription.follow(events, topics.topic(owner), since, only_this)
        if not replay.recovered and not ended:
            view = await tasks.get(ctx.principal, task_id)
            subscription.push(topics.change(view))
            if view.state.terminal:
                ended = True
                subscription.finish()

        async def until_ended() -> None:
            # The store's own wait: it also sees ends that no call made.
            nonlocal ended
            while not ended:
                finished = await tasks.get(ctx.principal, task_id, MAX_GET_WAIT_S)
                if finished.state.terminal and not ended:
                    ended = True
                    subscription.push(topics.change(finished))
                    subscription.finish()

        if not ended:
            subscription.spawn(until_ended())
        return subscription.subscribed(replay)


TERMINAL_STATES = frozenset(state.value for state in TERMINAL)


async def _publish(tasks: TaskStore, events: EventStore, task_id: str, change: JsonValue) -> None:
    """Tell the task's owner of a change (a worker's call does not know the owner)."""
    owner = await tasks.owner_of(task_id)
    if owner is not None:
        await events.publish(topics.topic(owner), change)


async def _changed(tasks: TaskStore, events: EventStore, view: TaskView) -> TaskView:
    await _publish(tasks, events, view.task_id, topics.change(view))
    return view


def _report(func: Handler, examples: list[Example]) -> Method:
    """A lease holder's call: made as the worker, safe to repeat, with a secret in its params."""
    return Method(
        func,
        scope=WORK,
        idempotent=True,
        redact_values=True,
        errors=[TaskNotFound, LeaseLost, WorkerNotFound],
        examples=examples,
    )


namespace = Namespace(
    "tasks",
    [
        Method(
            submit,
            errors=[UnknownDependency, IdempotencyConflict, QueueFull],
            examples=examples.SUBMIT,
        ),
        Method(
            claim,
            scope=WORK,
            timeout_s=MAX_CLAIM_WAIT_S + 10,
            redact_values=True,
            errors=[WorkerNotFound],
            examples=examples.CLAIM,
        ),
        _report(heartbeat, examples.HEARTBEAT),
        _report(complete, examples.COMPLETE),
        _report(fail, examples.FAIL),
        _report(release, examples.RELEASE),
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
        Method(subscribe, errors=[TaskNotFound], examples=examples.SUBSCRIBE),
        unsubscribe_method("tasks"),
    ],
    scope=SUBMIT,
)
