"""The task queue's records: states, priorities, tasks and their attempts.

States and priorities are ``StrEnum``s; the display emoji is derived from the state and never
stored. A ``Task`` is plain mutable data owned by the queue: only the queue's transitions
(``app.tasks.queue`` and ``app.tasks.state``) change it, each in one synchronous step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class TaskState(StrEnum):
    BLOCKED = "blocked"
    """Waiting for its dependencies to succeed."""
    SCHEDULED = "scheduled"
    """Delayed: waiting for its run time (a delay, or a retry's backoff)."""
    PENDING = "pending"
    """Ready to be claimed."""
    RUNNING = "running"
    """Claimed by a worker, under a lease."""
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DEAD = "dead"
    """Its retry budget is spent."""

    @property
    def emoji(self) -> str:
        return _EMOJI[self]

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


_EMOJI = {
    TaskState.BLOCKED: "⛓",
    TaskState.SCHEDULED: "📅",
    TaskState.PENDING: "⏳",
    TaskState.RUNNING: "🏃",
    TaskState.SUCCEEDED: "✅",
    TaskState.FAILED: "❌",
    TaskState.CANCELLED: "🚫",
    TaskState.DEAD: "💀",
}

TERMINAL = frozenset({TaskState.SUCCEEDED, TaskState.FAILED, TaskState.CANCELLED, TaskState.DEAD})
"""States a task never leaves (but a ``dead`` task can be requeued on request)."""

FAILED_UPSTREAM = frozenset({TaskState.FAILED, TaskState.CANCELLED, TaskState.DEAD})
"""A dependency in one of these states cancels its dependents."""


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """Higher runs first."""
        return _RANK[self]


_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.CRITICAL: 3}


class Outcome(StrEnum):
    """How one attempt (one lease) ended."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    """The worker reported a failure."""
    EXPIRED = "expired"
    """The lease was not renewed in time."""
    TIMED_OUT = "timed_out"
    """The task ran past its ``timeout_s``."""
    REVOKED = "revoked"
    """Its worker went offline."""
    RELEASED = "released"
    """The worker gave the task back unfinished; this attempt is not charged."""


REPORTED = frozenset({Outcome.SUCCEEDED, Outcome.FAILED, Outcome.RELEASED})
"""Outcomes the worker itself reported: repeating that report with the same lease is harmless."""


@dataclass(slots=True)
class Attempt:
    """One lease on a task: who ran it, when, and how it ended."""

    number: int
    lease_id: str
    worker_id: str
    started_at: float
    expires_at: float
    """When the lease lapses unless renewed; never after ``deadline``."""
    deadline: float
    """``started_at + timeout_s``: no renewal goes past it."""
    ended_at: float | None = None
    outcome: Outcome | None = None

    @property
    def live(self) -> bool:
        return self.outcome is None


@dataclass(slots=True)
class Task:
    id: str
    seq: int
    """Submit order; the last tie-breaker between equally urgent tasks."""
    type: str
    queue: str
    payload: Any
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
    state: TaskState
    depends_on: tuple[str, ...] = ()
    idempotency_key: str | None = None
    waiting_on: set[str] = field(default_factory=set)
    """Dependencies that have not succeeded yet."""
    dependents: set[str] = field(default_factory=set)
    attempts: list[Attempt] = field(default_factory=list)
    charged: int = 0
    """Attempts that count against ``max_attempts`` since the last requeue."""
    progress: float | None = None
    cancel_requested: bool = False
    result: Any = None
    error: Any = None
    reason: str | None = None
    """Why it ended the way it did, e.g. ``upstream_failed`` or ``lease_expired``."""
    cached: bool = False
    """Its result came from the cache; it never ran."""
    finished_at: float | None = None
    expires_at: float | None = None
    """When a finished task is forgotten (unless dependents still wait on its result)."""

    @property
    def lease(self) -> Attempt | None:
        """The live attempt, if the task is running."""
        if self.attempts and self.attempts[-1].live:
            return self.attempts[-1]
        return None
