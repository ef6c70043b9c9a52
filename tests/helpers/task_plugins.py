"""Task types for tests, loaded by real worker processes with ``--plugin tests.helpers.task_plugins:types``."""

from __future__ import annotations

from typing import Any

from app.worker import TaskContext


async def flaky(payload: Any, ctx: TaskContext) -> Any:
    """Fail every attempt before ``payload["succeed_on"]``, then answer the attempt number."""
    if ctx.attempt < payload["succeed_on"]:
        raise ConnectionError(f"attempt {ctx.attempt} failed on purpose")
    return ctx.attempt


async def total_of_deps(payload: Any, ctx: TaskContext) -> Any:
    """Add up the dependencies' results (and ``payload``)."""
    return payload + sum(ctx.dep_results.values())


types = {"flaky": flaky, "total_of_deps": total_of_deps}
