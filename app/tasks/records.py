"""The task queue's records: tasks and their attempts.

A ``Task`` is plain mutable data owned by the queue: only the queue's transitions
(``app.tasks.queue`` and ``app.tasks.state``) change it, each in one synchronous step. Each
record names what it shows on the wire as its wire model does (``task_id``, ``emoji``,
``attempt``...), so ``TaskView.model_validate(task)`` reads it directly.

Payloads, results and errors are kept as the JSON bytes they measure (``app.tasks.budget``
counts them): decoded Python values can take twenty times the room (``[{}, {}, ...]``), so
a byte budget on them would not bound memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from app.tasks.models import Outcome, Priority, TaskState

NULL = b"null"
NONE: frozenset[str] = frozenset()


def encode(value: Any) -> bytes:
    """The JSON a value is kept as: an exact-size copy, since orjson's own result keeps the
    buffer it grew (4 KiB for ``"x"``, about 4 bytes per byte for a long string)."""
    return NULL if value is None else memoryview(orjson.dumps(value)).tobytes()


def decode(raw: bytes) -> Any:
    return None if raw == NULL else orjson.loads(raw)


@dataclass(slots=True)
class Attempt:
    """One lease on a task: who ran it, when, and how it ended."""

    number: int
    secret: str
    """The lease id: the worker's proof for this attempt (``lease_id`` once it has ended)."""
    worker_id: str
    started_at: float
    expires_at: float
    """When the lease lapses unless renewed; never after ``deadline``."""
    deadline: float
    """``started_at + timeout_s``: no renewal goes past it."""
    ended_at: float | None = None
    outcome: Outcome | None = None
    reported: bool = False
    """Its worker ended it itself (complete, fail or release), not the server for it (a
    deregistration, a lapse, a revocation): only such an end may be repeated harmlessly."""

    @property
    def live(self) -> bool:
        return self.outcome is None

    @property
    def lease_id(self) -> str | None:
        """The lease id as anyone may see it: hidden while the lease is live."""
        return None if self.live else self.secret


@dataclass(slots=True)
class Task:
    id: str
    seq: int
    """Submit order; the last tie-breaker between equally urgent tasks."""
    type: str
    queue: str
    payload_json: bytes
    fingerprint: str
    """A digest of (type, payload): the key for idempotency checks and the cache."""
    priority: Priority
    max_attempts: int
    timeout_s: float
    result_ttl_s: float
    cache_ttl_s: float
    submitted_at: float
    ready_at: float
    """When it may run (its delay); a retry moves it to the end of its backoff."""
    give_up_at: float
    """When it ends ``dead`` (reason ``pending_ttl``) if it is still waiting to run."""
    state: TaskState
    owner: str
    """The id of the principal that submitted it (see ``app.tasks.owners``)."""
    depends_on: tuple[str, ...] = ()
    idempotency_key: str | None = None
    waiting_on: set[str] | frozenset[str] = NONE
    """Dependencies that have not succeeded yet (a set of its own once there is one: an
    empty set takes 216 bytes, and most tasks have neither)."""
    dependents: set[str] | frozenset[str] = NONE
    attempts: list[Attempt] = field(default_factory=list)
    """The newest attempts (``task_attempts_kept`` of them at most)."""
    attempt: int = 0
    """Attempts made so far, all of them: the number of the latest."""
    charged: int = 0
    """Attempts that count against ``max_attempts`` since the last requeue."""
    releases: int = 0
    """Releases since the last requeue; only those past the free ones are charged."""
    progress: float | None = None
    cancel_requested: bool = False
    result_json: bytes = NULL
    error_json: bytes = NULL
    stored_bytes: int = 0
    """What the byte budget holds for it: its payload, result and error, measured."""
    reason: str | None = None
    """Why it ended the way it did, e.g. ``upstream_failed`` or ``lease_expired``."""
    cached: bool = False
    """Its result came from the cache; it never ran."""
    finished_at: float | None = None
    expires_at: float | None = None
    """When a finished task is forgotten (unless dependents still wait on its result)."""
    traceparent: str | None = None
    """The W3C trace context of its submit (``app.observe.tracing``), for workers' spans."""

    @property
    def lease(self) -> Attempt | None:
        """The live attempt, if the task is running."""
        if self.attempts and self.attempts[-1].live:
            return self.attempts[-1]
        return None

    # ---- what the wire shows under other names -----------------------------------------

    @property
    def task_id(self) -> str:
        return self.id

    @property
    def emoji(self) -> str:
        return self.state.emoji

    @property
    def payload(self) -> Any:
        return decode(self.payload_json)

    @property
    def result(self) -> Any:
        return decode(self.result_json)

    @property
    def error(self) -> Any:
        return decode(self.error_json)

    @property
    def worker_id(self) -> str | None:
        """The worker running it now."""
        live = self.lease
        return live.worker_id if live is not None else None
