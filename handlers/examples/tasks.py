"""Examples for tasks.* methods, shown in the OpenRPC document and checked against them.

Demo mode (`rpc-hub serve --demo`, app/server/demo.py) seeds worker `workers.WORKER_ID`
and one task per example that needs one, each in the state its example starts from, so
that every example runs as written: a report on a lease ends that lease, so each report has
a task of its own, and a task read with `wait_s` is already finished.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import JsonValue

from app.rpc.namespace import Example
from app.tasks.models import TaskState
from handlers.examples.workers import RUNNING_LEASE_ID, RUNNING_TASK_ID, WORKER_ID, WORKER_TOKEN


@dataclass(frozen=True, slots=True)
class Seeded:
    """A task that demo mode submits (and, with a lease id, has the worker claim)."""

    task_id: str
    type: str
    payload: JsonValue
    lease_id: str | None = None
    """The lease of its claim by the worker; None: not claimed."""
    extra: dict[str, Any] = field(default_factory=dict)
    """More of tasks.submit's params."""


DONE = Seeded(
    "t_3Jx9QmVb1kA0Zp2c", "compute", {"op": "add", "a": 2, "b": 3}, "l_Qm3v8N0aZr5tYw1xKp7s2dLc"
)
"""Succeeded with result 5: read, listed and followed."""
DONE_RESULT = 5
RUNNING = Seeded(
    "t_7Hn2WcX5pL9rB4sE",
    "compute",
    {"op": "multiply", "a": 6, "b": 7},
    "l_V2bN7mK4xQ9wE1rT6yU3iO8p",
)
"""Running: heartbeated, then completed."""
FAILING = Seeded(
    "t_K8dF3gH6jL1zX4cV", "compute", {"op": "divide", "a": 1, "b": 0}, "l_Ws4eD7rF0tG3yH6uJ9iK2oL5"
)
"""Running: failed for good."""
RELEASED = Seeded(
    "t_P5qR9sT2uV6wY0aZ", "compute", {"op": "add", "a": 40, "b": 2}, "l_Xa1sZ4dC7fV0gB3hN6jM9kQ2"
)
"""Running: given back."""
TRANSFORMING = Seeded(
    RUNNING_TASK_ID, "transform", {"text": "hello", "to": "upper"}, RUNNING_LEASE_ID
)
"""Running: the worker reports it in workers.heartbeat, then deregisters."""
DEAD = Seeded(
    "t_D9sA2fG5hJ8kL1qW",
    "transform",
    {"source": "https://example.com/prices.csv"},
    "l_Ce3vR6bT9nY2mU5iQ8wO1pK4",
    extra={"max_attempts": 1},
)
"""Claimed once and failed: with no attempt left it is dead, for tasks.requeue."""
DEAD_ERROR: JsonValue = {"message": "connection refused"}
SCHEDULED = Seeded(
    "t_R4tY7uI0oP3aS6dF", "compute", {"op": "add", "a": 1, "b": 1}, extra={"delay_s": 3600}
)
"""Not due for an hour, for tasks.cancel."""
PENDING = Seeded("t_Z2xC5vB8nM1qW4eR", "compute", {"op": "subtract", "a": 10, "b": 4})
"""Ready, for tasks.claim to lease at once."""
SEEDED = (DONE, DEAD, RUNNING, FAILING, RELEASED, TRANSFORMING, SCHEDULED, PENDING)
"""In the order demo mode submits them (and has the worker claim those with a lease)."""

_T0 = 1800000000.0


def _view(task: Seeded, state: TaskState, **changes: Any) -> dict[str, Any]:
    """The task's view in ``state``: claimed at ``_T0`` and reported a second later."""
    outcome = None if state is TaskState.RUNNING else state.value
    view: dict[str, Any] = {
        "task_id": task.task_id,
        "type": task.type,
        "queue": "default",
        "priority": "normal",
        "state": state.value,
        "emoji": state.emoji,
        "payload": task.payload,
        "result": None,
        "error": None,
        "reason": None,
        "progress": None,
        "attempt": 1,
        "max_attempts": 3,
        "cancel_requested": False,
        "cached": False,
        "depends_on": [],
        "worker_id": None,
        "submitted_at": _T0,
        "ready_at": _T0,
        "finished_at": _T0 + 1.5,
        "expires_at": _T0 + 3601.5,
        "attempts": [
            {
                "number": 1,
                "lease_id": task.lease_id,
                "worker_id": WORKER_ID,
                "started_at": _T0 + 0.5,
                "ended_at": _T0 + 1.5,
                "outcome": outcome,
            }
        ],
    }
    return {**view, **changes}


def _lease(task: Seeded) -> dict[str, Any]:
    return {"task_id": task.task_id, "lease_id": task.lease_id, "worker_token": WORKER_TOKEN}


_DONE_VIEW = _view(DONE, TaskState.SUCCEEDED, result=DONE_RESULT, progress=1.0)

SUBMIT: list[Example] = [
    Example(
        "add two numbers",
        {"type": "compute", "payload": {"op": "add", "a": 2, "b": 3}},
        {
            "task_id": "t_8fKq2LmZ0xVb7N1c",
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
        {"worker_id": WORKER_ID, "wait_s": 10, "worker_token": WORKER_TOKEN},
        [
            {
                "task_id": PENDING.task_id,
                "type": PENDING.type,
                "queue": "default",
                "priority": "normal",
                "payload": PENDING.payload,
                "lease_id": "l_Bn6mQ9wE2rT5yU8iO1pA4sD7",
                "lease_expires_at": _T0 + 30.5,
                "deadline": _T0 + 300.5,
                "timeout_s": 300.0,
                "attempt": 1,
                "max_attempts": 3,
                "dep_results": {},
            }
        ],
        summary="Answers at once when a task is ready; otherwise waits up to `wait_s` for one.",
    )
]

HEARTBEAT: list[Example] = [
    Example(
        "half way",
        {**_lease(RUNNING), "progress": 0.5},
        {"task_id": RUNNING.task_id, "lease_expires_at": _T0 + 31.0, "cancel_requested": False},
    )
]

COMPLETE: list[Example] = [
    Example(
        "the result",
        {**_lease(RUNNING), "result": 42},
        _view(RUNNING, TaskState.SUCCEEDED, result=42, progress=1.0),
    )
]

FAIL: list[Example] = [
    Example(
        "for good",
        {**_lease(FAILING), "error": {"message": "division by zero"}, "retryable": False},
        _view(FAILING, TaskState.FAILED, error={"message": "division by zero"}, reason="failed"),
    )
]

RELEASE: list[Example] = [
    Example(
        "give it back",
        _lease(RELEASED),
        _view(
            RELEASED,
            TaskState.PENDING,
            finished_at=None,
            expires_at=None,
            attempts=[{**_view(RELEASED, TaskState.PENDING)["attempts"][0], "outcome": "released"}],
        ),
        summary="A worker shutting down: the task is ready again at once.",
    )
]

GET: list[Example] = [
    Example(
        "wait for it",
        {"task_id": DONE.task_id, "wait_s": 30},
        _DONE_VIEW,
        summary="Answers as soon as the task has finished, or after `wait_s` as it is then.",
    )
]

LIST: list[Example] = [
    Example(
        "succeeded",
        {"state": "succeeded", "limit": 1},
        {"tasks": [_DONE_VIEW], "next_cursor": "1"},
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
        {"task_id": SCHEDULED.task_id},
        _view(
            SCHEDULED,
            TaskState.CANCELLED,
            reason="cancelled",
            cancel_requested=True,
            ready_at=_T0 + 3600,
            attempt=0,
            attempts=[],
        ),
    )
]

REQUEUE: list[Example] = [
    Example(
        "a dead task",
        {"task_id": DEAD.task_id},
        _view(
            DEAD,
            TaskState.PENDING,
            error=DEAD_ERROR,
            max_attempts=1,
            finished_at=None,
            expires_at=None,
            attempts=_view(DEAD, TaskState.FAILED)["attempts"],
        ),
        summary="Its one attempt failed; it runs again, with a fresh retry budget.",
    )
]

SUBSCRIBE = [
    Example(
        "follow one task",
        params={"task_id": DONE.task_id},
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
