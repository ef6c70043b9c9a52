"""Dependencies between tasks: a DAG by construction, since a task may only depend on tasks
that already exist.

A task waits (``blocked``) until every dependency has succeeded. When one fails, is cancelled
or dies, every task downstream of it is cancelled with reason ``upstream_failed``. A finished
dependency's result is kept while any dependent still waits for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.tasks.models import FAILED_UPSTREAM, TaskState
from app.tasks.records import Task


def link(task: Task, tasks: Mapping[str, Task]) -> None:
    """Record ``task``'s dependencies (all of which exist) and which are not yet done."""
    for dep_id in task.depends_on:
        dep = tasks[dep_id]
        if isinstance(dep.dependents, frozenset):
            dep.dependents = set()
        dep.dependents.add(task.id)
        if dep.state is not TaskState.SUCCEEDED:
            if isinstance(task.waiting_on, frozenset):
                task.waiting_on = set()
            task.waiting_on.add(dep_id)


def upstream_failed(task: Task, tasks: Mapping[str, Task]) -> bool:
    """Whether a dependency of ``task`` has already failed, been cancelled or died."""
    return any(tasks[dep_id].state in FAILED_UPSTREAM for dep_id in task.depends_on)


def unblocked(done: Task, tasks: Mapping[str, Task]) -> list[Task]:
    """Dependents of the succeeded ``done`` that now have every dependency done."""
    ready = []
    for dependent_id in sorted(done.dependents, key=lambda i: tasks[i].seq if i in tasks else 0):
        dependent = tasks.get(dependent_id)
        if dependent is None or done.id not in dependent.waiting_on:
            continue
        _discard(dependent.waiting_on, done.id)
        if not dependent.waiting_on and dependent.state is TaskState.BLOCKED:
            ready.append(dependent)
    return ready


def downstream(failed: Task, tasks: Mapping[str, Task]) -> list[Task]:
    """Every unfinished task that depends on ``failed``, directly or not, in submit order."""
    seen: set[str] = set()
    found: list[Task] = []
    stack = [failed]
    while stack:
        for dependent_id in stack.pop().dependents:
            dependent = tasks.get(dependent_id)
            if dependent is None or dependent_id in seen or dependent.state.terminal:
                continue
            seen.add(dependent_id)
            found.append(dependent)
            stack.append(dependent)
    return sorted(found, key=lambda t: t.seq)


def results(task: Task, tasks: Mapping[str, Task]) -> dict[str, Any]:
    """The results of ``task``'s dependencies, by task id."""
    return {dep_id: tasks[dep_id].result for dep_id in task.depends_on if dep_id in tasks}


def still_needed(task: Task, tasks: Mapping[str, Task]) -> bool:
    """Whether some dependent of ``task`` has not finished (and may still need its result)."""
    return any(
        (dependent := tasks.get(dependent_id)) is not None and not dependent.state.terminal
        for dependent_id in task.dependents
    )


def forget(task: Task, tasks: Mapping[str, Task]) -> None:
    """Unlink a task that is being deleted from the dependencies it points at."""
    for dep_id in _existing(task.depends_on, tasks):
        _discard(tasks[dep_id].dependents, task.id)


def _discard(ids: set[str] | frozenset[str], task_id: str) -> None:
    if isinstance(ids, set):  # else the shared empty frozenset: nothing to discard
        ids.discard(task_id)


def _existing(ids: Iterable[str], tasks: Mapping[str, Task]) -> list[str]:
    return [i for i in ids if i in tasks]
