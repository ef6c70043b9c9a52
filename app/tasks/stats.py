"""Read-only answers computed from the queue: ``tasks.stats`` and the pages of ``tasks.list``.

Neither sweeps: the caller sweeps through the store first, so what fires is reacted to.
"""

from __future__ import annotations

from collections import Counter

from app.tasks.models import Priority, Stats, TaskPage, TaskState, TaskView
from app.tasks.records import Task
from app.tasks.state import THROUGHPUT_WINDOW_S, QueueState


def stats(queue: QueueState) -> Stats:
    """Counts by state, type and priority; the oldest ready task's wait; throughput; workers."""
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


def page(
    queue: QueueState,
    state: TaskState | None,
    type_: str | None,
    queue_name: str | None,
    cursor: str | None,
    limit: int,
) -> TaskPage:
    """Up to ``limit`` matching tasks in submit order, after ``cursor`` (a submit number)."""
    after = int(cursor) if cursor else 0
    found: list[Task] = []
    next_cursor = None
    # Tasks are held in submit order (a dict keeps insertion order), so a page is one scan.
    for task in queue.tasks.values():
        if task.seq <= after:
            continue
        if (
            (state is None or task.state is state)
            and (type_ is None or task.type == type_)
            and (queue_name is None or task.queue == queue_name)
        ):
            if len(found) == limit:
                next_cursor = str(found[-1].seq)
                break
            found.append(task)
    views = [TaskView.model_validate(task) for task in found]
    return TaskPage(tasks=views, next_cursor=next_cursor)
