"""What the memory queue keeps for its metrics, so that reading them scans no task: tasks
held by state and queue, updated as each task moves, and counts of what went wrong since
the process started. ``lua/lib_census.lua`` keeps the same in Redis.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable
from typing import TypeVar

from app.tasks.models import TaskState

K = TypeVar("K", bound=Hashable)


class Census:
    def __init__(self) -> None:
        self.held: Counter[tuple[TaskState, str]] = Counter()
        """Tasks by (state, queue)."""
        self.states: Counter[TaskState] = Counter()
        self.queues: Counter[str] = Counter()
        """Tasks held per queue, finished ones included."""
        self.lease_expiries = 0
        """Leases that lapsed unrenewed, or ran past the task's timeout."""
        self.retries = 0
        """Failed or lost attempts that scheduled another."""
        self.dead = 0
        """Tasks that ended ``dead``."""

    def add(self, queue: str, state: TaskState) -> None:
        self.queues[queue] += 1
        self.move(queue, None, state)

    def remove(self, queue: str, state: TaskState) -> None:
        _less(self.queues, queue)
        self.move(queue, state, None)

    def move(self, queue: str, was: TaskState | None, now: TaskState | None) -> None:
        """A task of ``queue`` went from ``was`` to ``now`` (None: it was not, or is no more)."""
        if was is now:
            return
        if was is not None:
            _less(self.held, (was, queue))
            _less(self.states, was)
        if now is not None:
            self.held[now, queue] += 1
            self.states[now] += 1


def _less(counts: Counter[K], key: K) -> None:
    """One fewer of ``key``, forgotten at zero: names come from clients, so keep no zeros."""
    counts[key] -= 1
    if counts[key] <= 0:
        del counts[key]
