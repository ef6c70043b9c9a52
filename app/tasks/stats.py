"""Read-only answers computed from the queue: ``tasks.stats``, the pages of ``tasks.list``,
``workers.list``, and the metrics' reading (of the census: no task is scanned).

Each sees only what the caller owns (its tasks and workers), or everything for ``admin``.
None sweeps: the caller sweeps through the store first, so what fires is reacted to.
"""

from __future__ import annotations

from collections import Counter

from app.rpc.access import Principal
from app.tasks import owners
from app.tasks.metrics import OTHER, Reading, other, top_queues
from app.tasks.models import Health, Priority, Stats, TaskPage, TaskState, TaskView, WorkerView
from app.tasks.records import Task
from app.tasks.state import THROUGHPUT_WINDOW_S, QueueState


def stats(queue: QueueState, caller: Principal) -> Stats:
    """Counts by state, type and priority; the oldest ready task's wait; throughput; workers."""
    now = queue.clock.time()
    queue.trim_throughput(now)
    by_state: Counter[str] = Counter({state.value: 0 for state in TaskState})
    by_priority: Counter[str] = Counter({priority.value: 0 for priority in Priority})
    by_type: Counter[str] = Counter()
    oldest_ready: float | None = None
    total = 0
    for task in queue.tasks.values():
        if not owners.may_steer(caller, task):
            continue
        total += 1
        by_state[task.state.value] += 1
        by_priority[task.priority.value] += 1
        by_type[task.type] += 1
        if task.state is TaskState.PENDING and (
            oldest_ready is None or task.ready_at < oldest_ready
        ):
            oldest_ready = task.ready_at
    workers = [w for w in queue.workers if owners.may_list(caller, w)]
    online = sum(1 for w in workers if w.health is Health.ONLINE)
    if caller.is_admin:
        finished, expired = len(queue.recent), queue.expired.total()
    else:
        finished = sum(1 for _, owner in queue.recent if owner == caller.id)
        expired = queue.expired[caller.id]
    return Stats(
        total=total,
        by_state=dict(by_state),
        by_type=dict(sorted(by_type.items())),
        by_priority=dict(by_priority),
        oldest_pending_age_s=None if oldest_ready is None else max(0.0, now - oldest_ready),
        finished_last_minute=finished,
        throughput_per_s=finished / THROUGHPUT_WINDOW_S,
        workers_online=online,
        workers_offline=len(workers) - online,
        expired=expired,
    )


def page(
    queue: QueueState,
    caller: Principal,
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
        if task.seq <= after or not owners.may_steer(caller, task):
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


def workers(
    queue: QueueState, caller: Principal, after: str | None, limit: int
) -> list[WorkerView]:
    """Up to ``limit`` of the workers ``caller`` registered (all of them for admin), in
    worker id order after ``after``, each showing only the running tasks ``caller`` may
    see: never another principal's task ids.
    """
    views: list[WorkerView] = []
    for worker in queue.workers.after(after):
        if len(views) == limit:
            break
        if not owners.may_list(caller, worker):
            continue
        view = WorkerView.model_validate(worker)
        if not caller.is_admin:
            view.running = [
                task_id
                for task_id in view.running
                if owners.may_see(caller, queue.tasks[task_id], queue.workers)
            ]
        views.append(view)
    return views


def reading(queue: QueueState) -> Reading:
    """The metrics: the census by the labelled queues, each one's oldest pending, and more."""
    census = queue.census
    top = top_queues(census.queues)
    held = {name: {s: census.held[s, name] for s in TaskState} for name in top}
    oldest = {name: queue.oldest_ready(name) for name in top}
    if len(census.queues) > len(top):
        held[OTHER] = other(held, census.states)
        labelled = set(top)
        rest = [queue.oldest_ready(q) for q in queue.pending_queues() if q not in labelled]
        oldest[OTHER] = min((t for t in rest if t is not None), default=None)
    return Reading(
        held=held,
        oldest_ready_at=oldest,
        workers_online=sum(1 for w in queue.workers if w.health is Health.ONLINE),
        lease_expiries=census.lease_expiries,
        retries=census.retries,
        dead=census.dead,
    )
