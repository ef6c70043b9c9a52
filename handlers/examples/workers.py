"""Examples for workers.* methods, shown in the OpenRPC document and checked against them."""

from __future__ import annotations

from typing import Any

from app.rpc.namespace import Example

_WORKER_ID = "w_x81LkQz0RbT2"
# Shown in OpenRPC as an illustration; real tokens come from secrets at registration.
WORKER_TOKEN = "Vh3kQ9zR2mX7pL0aT5yN8cB1dF4gJ6sW-eU_iO3rK2w"  # noqa: S105
_WORKER = {"worker_id": _WORKER_ID, "worker_token": WORKER_TOKEN}
_VIEW: dict[str, Any] = {
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

REGISTER: list[Example] = [
    Example(
        "a worker",
        {"name": "worker-1", "types": ["compute", "transform"], "capacity": 4},
        {**_WORKER, "heartbeat_interval_s": 10.0, "lease_ttl_s": 30.0},
    )
]

HEARTBEAT: list[Example] = [
    Example(
        "one task running",
        {
            **_WORKER,
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
]

DEREGISTER: list[Example] = [Example("leave", _WORKER, _VIEW)]

LIST: list[Example] = [
    Example("one worker", {}, [_VIEW]),
    Example("the page after a worker", {"after": "w_Lk2vQ8aZ0mRt", "limit": 100}, [_VIEW]),
]
