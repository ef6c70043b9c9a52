"""Leases: a worker's time-limited right to run one attempt of a task.

A lease id is unguessable (``secrets``) and is the worker's proof for every later call on
that attempt. A lease lapses at ``min(now + lease_ttl, started + timeout_s)``: heartbeats
renew it, but never past the task's timeout, so a lease cannot outlive its runtime budget.

Fencing: only the task's one live lease may act. Any other lease id is refused with
``LeaseLost`` and changes nothing, except that repeating a report the worker already made
with that same lease (complete, fail, release) is answered harmlessly: its first call counted.
"""

from __future__ import annotations

import secrets

from app.tasks.errors import LeaseLost
from app.tasks.models import REPORTED, Outcome
from app.tasks.records import Attempt, Task


def grant(task: Task, worker_id: str, now: float, ttl_s: float) -> Attempt:
    """A new live attempt of ``task`` for ``worker_id``, appended to its history."""
    deadline = now + task.timeout_s
    attempt = Attempt(
        number=len(task.attempts) + 1,
        secret="l_" + secrets.token_urlsafe(18),
        worker_id=worker_id,
        started_at=now,
        expires_at=min(now + ttl_s, deadline),
        deadline=deadline,
    )
    task.attempts.append(attempt)
    return attempt


def renew(attempt: Attempt, now: float, ttl_s: float) -> None:
    attempt.expires_at = min(now + ttl_s, attempt.deadline)


def lapse_outcome(attempt: Attempt) -> Outcome:
    """Why a lease that reached ``expires_at`` ended: its timeout, or a missed renewal."""
    return Outcome.TIMED_OUT if attempt.expires_at >= attempt.deadline else Outcome.EXPIRED


def matches(attempt: Attempt, lease_id: str) -> bool:
    """Whether ``lease_id`` is this attempt's lease, compared in constant time."""
    return secrets.compare_digest(attempt.secret.encode(), lease_id.encode())


def current(task: Task, lease_id: str) -> Attempt:
    """The task's live attempt, if ``lease_id`` is its lease; else ``LeaseLost``."""
    live = task.lease
    if live is not None and matches(live, lease_id):
        return live
    raise LeaseLost(data=_lost_data(task))


def reported(task: Task, lease_id: str) -> Attempt | None:
    """The ended attempt whose worker already reported its end with ``lease_id``, if any."""
    found = None
    for attempt in task.attempts:
        # Compare with every attempt, in constant time each, rather than stop at a match.
        if matches(attempt, lease_id):
            found = attempt
    if found is not None and found.outcome in REPORTED:
        return found
    return None


def _lost_data(task: Task) -> dict[str, object]:
    return {"task_id": task.id, "state": task.state.value}
