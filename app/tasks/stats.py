"""``tasks.stats``: counts and rates computed from the queue (read-only)."""

from __future__ import annotations

from collections import Counter

from app.tasks.model import Priority, TaskState
from app.tasks.queue import THROUGHPUT_WINDOW_S, TaskQueue
from app.tasks.views import Stats


def stats(queue: TaskQueue) -> Stats:
    """Read-only: the caller sweeps through the store first, so what fires is reacted to."""
    now = queue.clock.time()
    queue.trim_throughput(now)
    by_state: Counter[str] = Counter({state.value: 0 for state in TaskState})
    by_priority: Counter[str] = Counter({priority.value: 0 for priority in Priority})
    by_type: Counter[str] = Counter()
    oldest_ready: float | None = None
    for task in queue.tasks.values():
        by_state[task.state.value] += 1
        by_priority[task.priority.value] += 1
        by_type[task.type] += 1
        if task.state is TaskState.PENDING and (
            oldest_ready is None or task.ready_at < oldest_ready
        ):
            oldest_ready = task.ready_at
    online = queue.workers.online
    finished = len(queue.recent)
    return Stats(
        total=len(queue.tasks),
        by_state=dict(by_state),
        by_type=dict(sorted(by_type.items())),
        by_priority=dict(by_priority),
        oldest_pending_age_s=None if oldest_ready is None else max(0.0, now - oldest_ready),
        finished_last_minute=finished,
        throughput_per_s=finished / THROUGHPUT_WINDOW_S,
        workers_online=online,
        workers_offline=len(queue.workers) - online,
        expired=queue.expired,
    )
