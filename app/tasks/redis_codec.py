"""The task scripts' answers, read into the wire models; and their refusals, as the errors
memory raises.

Scripts answer flat arrays of strings (Redis hands them over as bytes): numbers as their
exact decimals, payloads, results and errors as the JSON kept, so nothing passes through a
Lua number or ``cjson`` on the way. A task is its hash's fields, flat, then its attempts, each
``number|lease id|worker|started|expires|deadline|ended|outcome|reported``
(``lua/lib_records.lua``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import orjson

from app.redis_link import ErrorFactory
from app.rpc.errors import Overloaded, QuotaExceeded
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
from app.tasks.metrics import OTHER, STATES, Reading, other
from app.tasks.models import (
    AttemptView,
    ClaimedTask,
    Health,
    LeaseRenewal,
    Outcome,
    Priority,
    Stats,
    Submission,
    TaskPage,
    TaskState,
    TaskView,
    WorkerHeartbeat,
    WorkerView,
)
from app.tasks.records import decode
from app.tasks.state import THROUGHPUT_WINDOW_S

T = TypeVar("T")

ERRORS: Mapping[str, ErrorFactory] = {
    "TaskNotFound": lambda data: TaskNotFound(data=data),
    "WorkerNotFound": lambda data: WorkerNotFound(data=data),
    "LeaseLost": lambda data: LeaseLost(data=data),
    "UnknownDependency": lambda data: UnknownDependency(data=data),
    "IdempotencyConflict": lambda data: IdempotencyConflict(data=data),
    "TaskStateConflict": lambda data: TaskStateConflict(data=data),
    "QueueFull": lambda data: QueueFull(data=data),
    "QuotaExceeded": lambda data: QuotaExceeded(data=data),
    "Overloaded": lambda data: Overloaded(data=data),
    "TooLarge": lambda data: TooLarge(data["what"], data["size"], data["limit"]),
}
"""Each refusal a task script may answer, by name."""


def _optional(raw: bytes | None) -> str | None:
    return None if raw is None else raw.decode()


def _time(raw: bytes | None) -> float | None:
    return None if raw is None or raw == b"" else float(raw)


def _names(raw: bytes) -> list[str]:
    names: list[str] = orjson.loads(raw)  # as the store wrote it, never through cjson
    return names


def _attempt(raw: bytes) -> AttemptView:
    number, lease_id, worker_id, started, _, _, ended, outcome, _ = raw.decode().split("|")
    return AttemptView(
        number=int(number),
        lease_id=lease_id if outcome else None,  # hidden while the lease is live
        worker_id=worker_id,
        started_at=float(started),
        ended_at=float(ended) if ended else None,
        outcome=Outcome(outcome) if outcome else None,
    )


def task_view(raw: Sequence[Any]) -> TaskView:
    flat, attempts = raw
    fields: dict[bytes, bytes] = dict(zip(flat[::2], flat[1::2], strict=True))
    state = TaskState(fields[b"state"].decode())
    depends_on = fields[b"depends_on"].decode()
    return TaskView(
        task_id=fields[b"id"].decode(),
        type=fields[b"type"].decode(),
        queue=fields[b"queue"].decode(),
        priority=Priority(fields[b"priority"].decode()),
        state=state,
        emoji=state.emoji,
        payload=decode(fields[b"payload"]),
        result=decode(fields[b"result"]),
        error=decode(fields[b"error"]),
        reason=_optional(fields.get(b"reason")),
        progress=_time(fields.get(b"progress")),
        attempt=int(fields[b"attempt"]),
        max_attempts=int(fields[b"max_attempts"]),
        cancel_requested=fields[b"cancel_requested"] == b"1",
        cached=fields[b"cached"] == b"1",
        depends_on=depends_on.split(",") if depends_on else [],
        worker_id=_optional(fields.get(b"worker")),
        submitted_at=float(fields[b"submitted_at"]),
        ready_at=float(fields[b"ready_at"]),
        finished_at=_time(fields.get(b"finished_at")),
        expires_at=_time(fields.get(b"expires_at")),
        attempts=[_attempt(a) for a in attempts],
    )


def submission(raw: Sequence[bytes]) -> Submission:
    task_id, state, cached, deduplicated = raw
    task_state = TaskState(state.decode())
    return Submission(
        task_id=task_id.decode(),
        state=task_state,
        emoji=task_state.emoji,
        deduplicated=deduplicated == b"1",
        cached=cached == b"1",
    )


def claimed(raw: Sequence[Any]) -> ClaimedTask:
    (task_id, type_, queue, priority, payload, lease_id, expires, deadline, timeout_s,
     attempt, max_attempts, results, traceparent) = raw  # fmt: skip
    return ClaimedTask(
        task_id=task_id.decode(),
        type=type_.decode(),
        queue=queue.decode(),
        priority=Priority(priority.decode()),
        payload=decode(payload),
        lease_id=lease_id.decode(),
        lease_expires_at=float(expires),
        deadline=float(deadline),
        timeout_s=float(timeout_s),
        attempt=int(attempt),
        max_attempts=int(max_attempts),
        dep_results={
            k.decode(): decode(v) for k, v in zip(results[::2], results[1::2], strict=True)
        },
        traceparent=traceparent.decode() or None,
    )


def renewal(raw: Sequence[bytes]) -> LeaseRenewal:
    task_id, expires, cancel = raw
    return LeaseRenewal(
        task_id=task_id.decode(), lease_expires_at=float(expires), cancel_requested=cancel == b"1"
    )


def worker_heartbeat(raw: Sequence[Any]) -> WorkerHeartbeat:
    stop, renewed, drain = raw
    return WorkerHeartbeat(
        cancel=[task_id.decode() for task_id in stop],
        drain=drain == b"1",
        leases=_pairs(renewed, float),
    )


def worker_view(raw: Sequence[Any]) -> WorkerView:
    worker_id, name, types, queues, capacity, health, last_seen, registered_at, running = raw
    return WorkerView(
        worker_id=worker_id.decode(),
        name=name.decode(),
        types=_names(types),
        queues=_names(queues),
        capacity=int(capacity),
        health=Health(health.decode()),
        last_seen=float(last_seen),
        registered_at=float(registered_at),
        running=sorted(task_id.decode() for task_id in running),
    )


def page(raw: Sequence[Any]) -> TaskPage:
    views, cursor = raw
    return TaskPage(tasks=[task_view(v) for v in views], next_cursor=cursor.decode() or None)


def stats(raw: Sequence[Any], now: float) -> Stats:
    """``stats.lua``'s answer, as ``app.tasks.stats.stats`` shapes it, at ``now``."""
    total, by_state, by_priority, by_type, oldest, finished, online, offline, expired = raw
    oldest_ready = _time(oldest)
    return Stats(
        total=int(total),
        by_state={state.value: 0 for state in TaskState} | _counts(by_state),
        by_type=dict(sorted(_counts(by_type).items())),
        by_priority={priority.value: 0 for priority in Priority} | _counts(by_priority),
        oldest_pending_age_s=None if oldest_ready is None else max(0.0, now - oldest_ready),
        finished_last_minute=int(finished),
        throughput_per_s=int(finished) / THROUGHPUT_WINDOW_S,
        workers_online=int(online),
        workers_offline=int(offline),
        expired=int(expired),
    )


def reading(raw: Sequence[Any]) -> Reading:
    """``lua/measure.lua``'s answer: the census by labelled queue, and the rest as ``_other``."""
    top_raw, counts, totals, more, oldest, others_oldest, online, tallies = raw
    top = [queue.decode() for queue in top_raw]
    width = len(STATES)
    held = {
        queue: dict(zip(STATES, map(int, counts[i * width : (i + 1) * width]), strict=True))
        for i, queue in enumerate(top)
    }
    oldest_at = dict(zip(top, map(_time, oldest), strict=True))
    if int(more):
        held[OTHER] = other(held, dict(zip(STATES, map(int, totals), strict=True)))
        oldest_at[OTHER] = _time(others_oldest)
    lease_expiries, retries, dead = map(int, tallies)
    return Reading(held, oldest_at, int(online), lease_expiries, retries, dead)


def _counts(flat: Sequence[bytes]) -> dict[str, int]:
    return _pairs(flat, int)


def _pairs(flat: Sequence[bytes], value: Callable[[bytes], T]) -> dict[str, T]:
    """A flat ``[name, value, ...]`` answer as a dict."""
    return {k.decode(): value(v) for k, v in zip(flat[::2], flat[1::2], strict=True)}
