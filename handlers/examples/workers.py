"""Examples for workers.* methods, shown in the OpenRPC document and checked against them.

Demo mode (`rpc-hub serve --demo`, app/server/demo.py) registers worker `WORKER_ID` with
this token, running the tasks of handlers/examples/tasks.py; workers.register's example
registers another one.
"""

from __future__ import annotations

from typing import Any

from app.rpc.namespace import Example

WORKER_ID = "w_x81LkQz0RbT2"
WORKER_NAME = "worker-1"
WORKER_TYPES = ["compute", "transform"]
WORKER_CAPACITY = 8
# Shown in OpenRPC as an illustration; real tokens come from secrets at registration.
WORKER_TOKEN = "Vh3kQ9zR2mX7pL0aT5yN8cB1dF4gJ6sW-eU_iO3rK2w"  # noqa: S105
RUNNING_TASK_ID = "t_M1nB4vC7xZ0lK3jH"
RUNNING_LEASE_ID = "l_Ry5tU8iO1pA4sD7fG0hJ3kL6"
"""The task the worker reports running, and its lease (handlers/examples/tasks.py seeds it)."""
_WORKER = {"worker_id": WORKER_ID, "worker_token": WORKER_TOKEN}
_VIEW: dict[str, Any] = {
    "worker_id": WORKER_ID,
    "name": WORKER_NAME,
    "types": WORKER_TYPES,
    "queues": ["default"],
    "capacity": WORKER_CAPACITY,
    "health": "online",
    "last_seen": 1800000010.0,
    "registered_at": 1800000000.0,
    "running": [RUNNING_TASK_ID],
}
_OTHER: dict[str, Any] = {
    **_VIEW,
    "worker_id": "w_Lk2vQ8aZ0mRt",
    "name": "worker-2",
    "capacity": 4,
    "last_seen": 1800000020.0,
    "registered_at": 1800000020.0,
    "running": [],
}

REGISTER: list[Example] = [
    Example(
        "a worker",
        {"name": "worker-2", "types": WORKER_TYPES, "capacity": 4},
        {
            "worker_id": _OTHER["worker_id"],
            "worker_token": "Jm5nB2vC8xZ1aS4dF7gH0jK3lQ6wE9rT-yU_iO2pA5s",
            "heartbeat_interval_s": 10.0,
            "lease_ttl_s": 30.0,
        },
    )
]

HEARTBEAT: list[Example] = [
    Example(
        "one task running",
        {
            **_WORKER,
            "running": [
                {
                    "task_id": RUNNING_TASK_ID,
                    "lease_id": RUNNING_LEASE_ID,
                    "progress": 0.5,
                }
            ],
        },
        {"cancel": [], "drain": False, "leases": {RUNNING_TASK_ID: 1800000040.0}},
    )
]

DEREGISTER: list[Example] = [
    Example(
        "leave",
        _WORKER,
        _VIEW,
        summary="The task it still runs goes back to the queue, counted as an attempt.",
    )
]

LIST: list[Example] = [
    Example("your workers", {}, [_OTHER]),
    Example("the page after a worker", {"after": "w_Lk2vQ8aZ0mRt", "limit": 100}, []),
]
