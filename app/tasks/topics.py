"""What tasks publish for subscribers: one topic per owner, one event per change seen.

Each event holds at least ``task_id`` and ``state``; a change read whole from the store
(complete, fail, release, cancel, requeue, and a task followed alone) has every field of
``EVENT_FIELDS``. Every change a call makes (submit, claim, progress, complete, fail,
release, cancel, requeue) is published on the owner's topic ``tasks:<owner>``; a
subscription to one task reads that topic for its id. Changes no call makes (a lease
expiring, a pending TTL running out) are not on the topic; a subscription to one task
still sees the task finish, from the store's own wait for it.
"""

from __future__ import annotations

from pydantic import JsonValue

from app.tasks.models import ClaimedTask, Submission, TaskState, TaskView

EVENT_FIELDS = {
    "task_id",
    "type",
    "queue",
    "state",
    "progress",
    "attempt",
    "reason",
    "result",
    "error",
}
"""A change: enough to follow a task without another call (no payload, no history)."""


def topic(owner: str) -> str:
    return f"tasks:{owner}"


def change(view: TaskView) -> JsonValue:
    data: JsonValue = view.model_dump(mode="json", include=EVENT_FIELDS)
    return data


def submitted(submission: Submission, type_: str, queue: str) -> JsonValue:
    return {
        "task_id": submission.task_id,
        "type": type_,
        "queue": queue,
        "state": submission.state.value,
    }


def started(claimed: ClaimedTask) -> JsonValue:
    return {
        "task_id": claimed.task_id,
        "type": claimed.type,
        "queue": claimed.queue,
        "state": TaskState.RUNNING.value,
    }


def progressed(task_id: str, progress: float) -> JsonValue:
    return {"task_id": task_id, "state": TaskState.RUNNING.value, "progress": progress}
