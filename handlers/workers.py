"""workers.*: the processes that run tasks register, heartbeat and leave.

A worker that misses 3 heartbeats goes `offline` and its leases are revoked, so its
tasks are retried elsewhere. `rpc-hub worker` is a ready-made worker process.

A worker belongs to the principal that registered it. `workers.register` answers a secret
`worker_token`: every later call about the worker must send it, unless it comes from the
same key (not anonymous) or from admin; any other caller gets 5003, as for no such worker.
`workers.list` shows only your own workers (all of them for admin), a page at a time.

One caller registers at most `worker_max_workers_per_owner` workers, and the server
`worker_max_workers`: at either, the oldest offline worker in the way is forgotten; with
none, registering gets -32006 (`resource` "workers", `limit`, `held`) or -32005.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.rpc.context import CallContext
from app.rpc.errors import InvalidParams
from app.rpc.namespace import Method, Namespace
from app.tasks.errors import WorkerNotFound
from app.tasks.models import (
    Name,
    Registration,
    RunningTask,
    WorkerHeartbeat,
    WorkerId,
    WorkerToken,
    WorkerView,
)
from app.tasks.store import TaskStore
from handlers.examples import workers as examples

WORK = "tasks:work"
"""The scope of every workers.* method, as of the worker's calls in tasks.*."""
MAX_PAGE = 500
"""The most workers one workers.list answers, as for tasks.list."""
MAX_PAIRS = 1000
"""The most type-and-queue pairs one worker may serve: each claim looks at every pair that
has ready tasks, so this bounds what one claim costs."""


async def register(
    tasks: TaskStore,
    ctx: CallContext,
    name: Annotated[str, Field(min_length=1, max_length=100, description="For people to read.")],
    types: Annotated[
        list[Name], Field(min_length=1, max_length=100, description="Task types it runs.")
    ],
    queues: Annotated[list[Name], Field(min_length=1, max_length=100)] = ["default"],  # noqa: B006
    capacity: Annotated[int, Field(ge=1, le=1000, description="Most tasks it runs at once.")] = 1,
) -> Registration:
    """Register a worker; answer its id, its secret token, and how often to heartbeat.

    The `worker_token` is shown only here: send it with every later call about the worker.
    Past your quota of workers: -32006; past the server's cap: -32005 (an offline worker
    of yours, or anyone's for the cap, is forgotten first to make room). `types` times
    `queues` may name at most 1,000 pairs.
    """
    pairs = len(set(types)) * len(set(queues))
    if pairs > MAX_PAIRS:
        problem = f"{pairs} type-and-queue pairs; at most {MAX_PAIRS}: run more workers instead"
        raise InvalidParams(data=[{"path": "queues", "problem": problem, "type": "too_many"}])
    return await tasks.register(ctx.principal, name, types, queues, capacity)


async def heartbeat(
    tasks: TaskStore,
    ctx: CallContext,
    worker_id: WorkerId,
    running: Annotated[list[RunningTask], Field(max_length=1000)] = [],  # noqa: B006
    worker_token: WorkerToken | None = None,
) -> WorkerHeartbeat:
    """Say the worker is alive and renew the leases of the tasks it runs.

    The answer lists tasks to stop (cancelled, or no longer leased to it) and `drain`
    while the server is shutting down.
    """
    return await tasks.worker_heartbeat(ctx.principal, worker_id, running, token=worker_token)


async def deregister(
    tasks: TaskStore,
    ctx: CallContext,
    worker_id: WorkerId,
    worker_token: WorkerToken | None = None,
) -> WorkerView:
    """Remove a worker. Tasks it still holds go back to the queue, each as a spent attempt.

    As with `tasks.release`, each counts against the task's `max_attempts`. Their leases
    are over for good: a report with one of them gets 5002.
    """
    return await tasks.deregister(ctx.principal, worker_id, token=worker_token)


async def list_workers(
    tasks: TaskStore,
    ctx: CallContext,
    after: Annotated[
        WorkerId | None,
        Field(description="The last worker_id of the previous page: list from the next one."),
    ] = None,
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 100,
) -> list[WorkerView]:
    """Your workers, with their health (online or offline) and when each was last seen.

    Every worker for admin; `running` lists only the tasks you may see. In worker id
    order, `limit` at a time: pass the last `worker_id` as `after` for the next page;
    a page shorter than `limit` is the last.
    """
    return await tasks.list_workers(ctx.principal, after, limit)


namespace = Namespace(
    "workers",
    [
        # Sensitive: its answer holds the worker_token, which the console must not keep.
        Method(register, redact_values=True, examples=examples.REGISTER),
        Method(
            heartbeat,
            idempotent=True,
            redact_values=True,
            errors=[WorkerNotFound],
            examples=examples.HEARTBEAT,
        ),
        Method(
            deregister, redact_values=True, errors=[WorkerNotFound], examples=examples.DEREGISTER
        ),
        Method(list_workers, name="list", idempotent=True, examples=examples.LIST),
    ],
    scope=WORK,
)
