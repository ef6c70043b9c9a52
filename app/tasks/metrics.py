"""The task queue's metrics (``rpc_tasks…``, ``rpc_workers_online``), from a ``Reading`` that
either backend takes without scanning its tasks.

Queue names are the callers' own, so at most ``QUEUE_LABELS`` become labels: the queues
holding the most tasks (ties: the name sorting last, as Redis orders them). Every other
queue, and one named ``_other``, is summed into ``queue="_other"``.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass

from app.stores import Sample
from app.tasks.models import TaskState

QUEUE_LABELS = 50
OTHER = "_other"
STATES = tuple(TaskState)


@dataclass(frozen=True, slots=True)
class Reading:
    held: Mapping[str, Mapping[TaskState, int]]
    """Tasks held by queue label, then by state."""
    oldest_ready_at: Mapping[str, float | None]
    """Per queue label, when its oldest pending task became ready (None: none pending)."""
    workers_online: int
    lease_expiries: int
    retries: int
    dead: int


def top_queues(sizes: Mapping[str, int]) -> list[str]:
    """The queues that get a label of their own, largest first."""
    named = (queue for queue in sizes if queue != OTHER)
    return heapq.nlargest(QUEUE_LABELS, named, key=lambda queue: (sizes[queue], queue))


def other(
    top: Mapping[str, Mapping[TaskState, int]], totals: Mapping[TaskState, int]
) -> dict[TaskState, int]:
    """The tasks of the queues outside ``top``, by state: each state's total less top's."""
    return {
        state: totals.get(state, 0) - sum(counts.get(state, 0) for counts in top.values())
        for state in STATES
    }


def samples(reading: Reading, now: float, counted: str) -> list[Sample]:
    """The samples of ``reading`` at ``now``; ``counted`` says where the counters count."""
    out = [
        Sample(
            "rpc_tasks",
            count,
            labels={"state": state.value, "queue": queue},
            help="Tasks held, finished ones included, by state and queue (the 50 queues "
            'holding most; the rest summed as "_other").',
        )
        for queue, counts in reading.held.items()
        for state, count in ((state, counts.get(state, 0)) for state in STATES)
    ]
    out += [
        Sample(
            "rpc_tasks_oldest_pending_age_seconds",
            0.0 if ready_at is None else max(0.0, now - ready_at),
            labels={"queue": queue},
            help="How long the oldest pending (claimable) task of each queue has waited; 0 "
            "with none.",
        )
        for queue, ready_at in reading.oldest_ready_at.items()
    ]
    out.append(Sample("rpc_workers_online", reading.workers_online, help="Workers online."))
    for name, value, what in (
        ("lease_expiries", reading.lease_expiries, "Leases that lapsed unrenewed, or ran "
         "past the task's timeout"),
        ("retries", reading.retries, "Failed or lost attempts that scheduled another"),
        ("dead", reading.dead, "Tasks that ended dead (attempts spent, or waited too long)"),
    ):  # fmt: skip
        out.append(Sample(f"rpc_tasks_{name}_total", value, "counter", help=f"{what}; {counted}."))
    return out
