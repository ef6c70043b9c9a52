"""workers.*: the processes that run tasks register, heartbeat and leave.

A worker that misses 3 heartbeats goes ``offline`` and its leases are revoked, so its
tasks are retried elsewhere. ``rpc-hub worker`` is a ready-made worker process.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.rpc.namespace import Method, Namespace
from app.tasks.errors import WorkerNotFound
from app.tasks.models import (
    Name,
    Registration,
    RunningTask,
    WorkerHeartbeat,
    WorkerId,
    WorkerView,
)
from app.tasks.store import TaskStore
from handlers.examples import workers as examples


async def register(
    tasks: TaskStore,
    name: Annotated[str, Field(min_length=1, max_length=100, description="For people to read.")],
    types: Annotated[
        list[Name], Field(min_length=1, max_length=100, description="Task types it runs.")
    ],
    queues: Annotated[list[Name], Field(min_length=1, max_length=100)] = ["default"],  # noqa: B006
    capacity: Annotated[int, Field(ge=1, le=1000, description="Most tasks it runs at once.")] = 1,
) -> Registration:
    """Register a worker; answer its id and how often to heartbeat."""
    return await tasks.register(name, types, queues, capacity)


async def heartbeat(
    tasks: TaskStore,
    worker_id: WorkerId,
    running: Annotated[list[RunningTask], Field(max_length=1000)] = [],  # noqa: B006
) -> WorkerHeartbeat:
    """Say the worker is alive and renew the leases of the tasks it runs.

    The answer lists tasks to stop (cancelled, or no longer leased to it) and ``drain``
    while the server is shutting down.
    """
    return await tasks.worker_heartbeat(worker_id, running)


async def deregister(tasks: TaskStore, worker_id: WorkerId) -> WorkerView:
    """Remove a worker. Tasks it still holds go back to the queue, uncharged."""
    return await tasks.deregister(worker_id)


async def list_workers(tasks: TaskStore) -> list[WorkerView]:
    """Every known worker, with its health (online or offline) and when it was last seen."""
    return await tasks.list_workers()


namespace = Namespace(
    "workers",
    [
        Method(register, examples=examples.REGISTER),
        Method(heartbeat, idempotent=True, errors=[WorkerNotFound], examples=examples.HEARTBEAT),
        Method(deregister, errors=[WorkerNotFound], examples=examples.DEREGISTER),
        Method(list_workers, name="list", idempotent=True, examples=examples.LIST),
    ],
)
