"""Leases: a worker's time-limited right to run one attempt of a task.

A lease id is unguessable (``secrets``) and is the worker's proof for every later call on
that attempt. A lease lapses at ``min(now + lease_ttl, started + timeout_s)``: heartbeats
renew it, but never past the task's timeout, so a lease cannot outlive its runtime budget.

Fencing: only the task's one live lease may act. Any other lease id is refused with
``LeaseLost`` and changes nothing, whoever asks. A lease ended by the server (a
deregistration, a lapse, a revocation) is ended for good. The one exception: the worker may
repeat the report that ended the task's latest attempt, with that attempt's lease, and is
answered harmlessly (its first call counted): complete or fail after it completed or failed,
release after it released. A release is not a verdict, so complete or fail after it is lost.
"""

from __future__ import annotations

import secrets

from app.ids import Ids
from app.tasks.errors import LeaseLost
from app.tasks.models import Outcome
from app.tasks.records import Attempt, Task


def grant(task: Task, worker_id: str, now: float, ttl_s: float, keep: int, ids: Ids) -> Attempt:
    """A new live attempt of `task` for `worker_id`, with a lease id from `ids`, appended to
    its history, of which the newest `keep` are kept (`task.attempt` still counts them all)."""
    deadline = now + task.timeout_s
    task.attempt += 1
    attempt = Attempt(
        number=task.attempt,
        secret=ids.new("lease", 18, "l_"),
        worker_id=worker_id,
        started_at=now,
        expires_at=min(now + ttl_s, deadline),
        deadline=deadline,
    )
    task.attempts.append(attempt)
    # The live attempt is the newest, so it is always kept; a lease forgotten here could
    # only have been refused anyway (only the latest attempt's worker may act).
    del task.attempts[: max(0, len(task.attempts) - keep)]
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


def acting(task: Task, lease_id: str, report: Outcome) -> tuple[Attempt, bool]:
    """The attempt ``lease_id`` may make ``report`` on, and whether it only repeats one.

    The live attempt, if ``lease_id`` is its lease; else the latest attempt, if its worker
    ended it with ``lease_id`` by this same report (a retry of a complete, say); else
    ``LeaseLost``: a completion after a failure must not be told it was accepted.
    """
    found = None
    for attempt in task.attempts:
        # Compare with every attempt, in constant time each, rather than stop at a match.
        if matches(attempt, lease_id):
            found = attempt
    if found is not None:
        if found.live:
            return found, False
        if found is task.attempts[-1] and found.reported and found.outcome is report:
            return found, True
    raise LeaseLost(data=_lost_data(task))


def _lost_data(task: Task) -> dict[str, object]:
    return {"task_id": task.id, "state": task.state.value}
