"""workers.*: the processes that run tasks register, heartbeat and leave.

A worker that misses 3 heartbeats goes ``offline`` and its leases are revoked, so its
tasks are retried elsewhere. ``rpc-hub worker`` is a ready-made worker process.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from app.rpc.namespace import Example, Method, Namespace
from app.store import Store
from app.tasks.errors import WorkerNotFound
from app.tasks.views import Registration, WorkerHeartbeat, WorkerView, worker_view
from handlers.tasks import LeaseId, Name, TaskId

WorkerId = Annotated[str, Field(min_length=1, max_length=64, description="From workers.register.")]


class RunningTask(BaseModel):
    task_id: TaskId
    lease_id: LeaseId
    progress: Annotated[float | None, Field(ge=0, le=1)] = None


async def register(
    store: Store,
    name: Annotated[str, Field(min_length=1, max_length=100, description="For people to read.")],
    types: Annotated[
        list[Name], Field(min_length=1, max_length=100, description="Task types it runs.")
    ],
    queues: Annotated[list[Name], Field(min_length=1, max_length=100)] = ["default"],  # noqa: B006
    capacity: Annotated[int, Field(ge=1, le=1000, description="Most tasks it runs at once.")] = 1,
) -> Registration:
    """Register a worker; answer its id and how often to heartbeat."""
    worker = await store.tasks.register(name, frozenset(types), frozenset(queues), capacity)
    limits = store.tasks.queue.limits
    return Registration(
        worker_id=worker.id,
        heartbeat_interval_s=limits.heartbeat_s,
        lease_ttl_s=limits.lease_ttl_s,
    )


async def heartbeat(
    store: Store,
    worker_id: WorkerId,
    running: Annotated[list[RunningTask], Field(max_length=1000)] = [],  # noqa: B006
) -> WorkerHeartbeat:
    """Say the worker is alive and renew the leases of the tasks it runs.

    The answer lists tasks to stop (cancelled, or no longer leased to it) and ``drain``
    while the server is shutting down.
    """
    stop, renewed = await store.tasks.worker_heartbeat(
        worker_id, [(r.task_id, r.lease_id, r.progress) for r in running]
    )
    return WorkerHeartbeat(cancel=stop, drain=store.tasks.draining, leases=renewed)


async def deregister(store: Store, worker_id: WorkerId) -> WorkerView:
    """Remove a worker. Tasks it still holds go back to the queue, uncharged."""
    return worker_view(await store.tasks.deregister(worker_id))


async def list_workers(store: Store) -> list[WorkerView]:
    """Every known worker, with its health (online or offline) and when it was last seen."""
    store.tasks.sweep()
    return [worker_view(worker) for worker in store.tasks.queue.workers]


_WORKER_ID = "w_x81LkQz0RbT2"
_VIEW = {
    "worker_id": _WORKER_ID,
    "name": "worker-1",
    "types": ["compute", "transform"],
    "queues": ["default"],
    "capacity": 4,
    "health": "online",
    "last_seen": 1800000010.0,
    "registered_at": 1800000000.0,
    "running": [],
}

namespace = Namespace(
    "workers",
    [
        Method(
            register,
            examples=[
                Example(
                    "a worker",
                    {"name": "worker-1", "types": ["compute", "transform"], "capacity": 4},
                    {"worker_id": _WORKER_ID, "heartbeat_interval_s": 10.0, "lease_ttl_s": 30.0},
                )
            ],
        ),
        Method(
            heartbeat,
            idempotent=True,
            errors=[WorkerNotFound],
            examples=[
                Example(
                    "one task running",
                    {
                        "worker_id": _WORKER_ID,
                        "running": [
                            {
                                "task_id": "t_3Jx9QmVb1kA0Zp2c",
                                "lease_id": "l_Qm3v8N0aZr5tYw1xKp7s2dLc",
                                "progress": 0.5,
                            }
                        ],
                    },
                    {
                        "cancel": [],
                        "drain": False,
                        "leases": {"t_3Jx9QmVb1kA0Zp2c": 1800000040.0},
                    },
                )
            ],
        ),
        Method(
            deregister,
            errors=[WorkerNotFound],
            examples=[Example("leave", {"worker_id": _WORKER_ID}, _VIEW)],
        ),
        Method(
            list_workers,
            name="list",
            idempotent=True,
            examples=[Example("one worker", {}, [_VIEW])],
        ),
    ],
)
