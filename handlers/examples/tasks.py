"""Examples for tasks.* methods, shown in the OpenRPC document and checked against them."""

from __future__ import annotations

from typing import Any

from app.rpc.namespace import Example
from app.tasks.models import TaskState
from handlers.examples.workers import WORKER_TOKEN

_VIEW: dict[str, Any] = {
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
_TASK: dict[str, Any] = {"task_id": _VIEW["task_id"]}
_LEASE: dict[str, Any] = {
    **_TASK,
    "lease_id": "l_Qm3v8N0aZr5tYw1xKp7s2dLc",
    "worker_token": WORKER_TOKEN,
}

SUBMIT: list[Example] = [
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
]

CLAIM: list[Example] = [
    Example(
        "one task",
        {"worker_id": "w_x81LkQz0RbT2", "wait_s": 10, "worker_token": WORKER_TOKEN},
        [
            {
                "task_id": _VIEW["task_id"],
                "type": "compute",
                "queue": "default",
                "priority": "normal",
                "payload": {"op": "add", "a": 2, "b": 3},
                "lease_id": "l_Qm3v8N0aZr5tYw1xKp7s2dLc",
                "lease_expires_at": 1800000030.5,
                "deadline": 1800000300.5,
                "timeout_s": 300.0,
                "attempt": 1,
                "max_attempts": 3,
                "dep_results": {},
            }
        ],
    )
]

HEARTBEAT: list[Example] = [
    Example(
        "half way",
        {**_LEASE, "progress": 0.5},
        {**_TASK, "lease_expires_at": 1800000031.0, "cancel_requested": False},
    )
]

COMPLETE: list[Example] = [Example("the result", {**_LEASE, "result": 5}, _VIEW)]

FAIL: list[Example] = [
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
            "attempts": [{**_VIEW["attempts"][0], "outcome": "failed"}],
        },
    )
]

RELEASE: list[Example] = [
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
            "attempts": [{**_VIEW["attempts"][0], "outcome": "released"}],
        },
    )
]

GET: list[Example] = [Example("wait for it", {**_TASK, "wait_s": 30}, _VIEW)]

LIST: list[Example] = [
    Example(
        "succeeded",
        {"state": "succeeded", "limit": 1},
        {"tasks": [_VIEW], "next_cursor": "1"},
    )
]

STATS: list[Example] = [
    Example(
        "one done",
        {},
        {
            "total": 1,
            "by_state": {state.value: int(state is TaskState.SUCCEEDED) for state in TaskState},
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
]

CANCEL: list[Example] = [
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
]

REQUEUE: list[Example] = [
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
                {**_VIEW["attempts"][0], "number": n, "outcome": "failed"} for n in (1, 2, 3)
            ],
        },
    )
]

SUBSCRIBE = [
    Example(
        "follow one task",
        params={"task_id": "t_3Jx9QmVb1kA0Zp2c"},
        result={
            "subscription": "0x5f1e2d3c4b5a6978",
            "epoch": "9c1f0e7a2b3d4c5e",
            "offset": 4,
            "recovered": False,
        },
        summary="Over a WebSocket; notifications then carry the task's changes.",
    ),
    Example(
        "all of your tasks, resuming",
        params={"since": {"epoch": "9c1f0e7a2b3d4c5e", "offset": 2}},
        result={
            "subscription": "0x0a1b2c3d4e5f6071",
            "epoch": "9c1f0e7a2b3d4c5e",
            "offset": 4,
            "recovered": True,
        },
    ),
]
