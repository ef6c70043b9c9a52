"""A mixed task workload for real servers and workers, and how to wait for all of it."""

from __future__ import annotations

import asyncio
from typing import Any

from app.client import Client

FAST = (  # short leases and heartbeats, so a killed worker's tasks come back soon
    "--no-call-log",
    "--task-lease-ttl-s",
    "1.5",
    "--worker-heartbeat-s",
    "0.3",
    "--task-retry-base-s",
    "0.05",
    "--task-retry-max-s",
    "0.5",
)
PLUGIN = ("--plugin", "tests.helpers.task_plugins:types")


def mixed_task(i: int) -> tuple[dict[str, Any], Any]:
    """The i-th task of a mixed workload, and the result it must end with."""
    kind = i % 5
    if kind == 0:
        return {"type": "compute", "payload": {"op": "add", "a": i, "b": 1}}, i + 1
    if kind == 1:
        return {"type": "compute", "payload": {"op": "multiply", "a": i, "b": 3}}, i * 3
    if kind == 2:
        text = f"task {i}"
        return {"type": "transform", "payload": {"op": "reverse", "text": text}}, text[::-1]
    if kind == 3:
        return {"type": "io", "payload": {"delay_s": 0.01, "echo": i}}, {"echo": i, "delay_s": 0.01}
    return {"type": "sleep", "payload": {"seconds": 0.1}}, 0.1


async def submit_all(rpc: Client, tasks: list[dict[str, Any]]) -> list[str]:
    ids: list[str] = []
    for start in range(0, len(tasks), 100):
        async with rpc.batch() as batch:
            futures = [batch.call("tasks.submit", **task) for task in tasks[start : start + 100]]
        ids.extend(future.result()["task_id"] for future in futures)
    return ids


GET_WAIT_S = 20
"""Each tasks.get long-poll: well under a client's 30 s request timeout."""


async def finished(rpc: Client, ids: list[str]) -> list[dict[str, Any]]:
    """Every task once it is finished, waiting with tasks.get long-polls (no sleeps)."""
    limit = asyncio.Semaphore(50)

    async def one(task_id: str) -> dict[str, Any]:
        async with limit:
            view: dict[str, Any] = await rpc.call("tasks.get", task_id=task_id, wait_s=GET_WAIT_S)
            while view["state"] not in ("succeeded", "failed", "cancelled", "dead"):
                view = await rpc.call("tasks.get", task_id=task_id, wait_s=GET_WAIT_S)
            return view

    async with asyncio.timeout(120):
        return await asyncio.gather(*(one(task_id) for task_id in ids))


def assert_done_once(views: list[dict[str, Any]], expected: list[Any]) -> int:
    """Each task succeeded exactly once, by its final attempt, with its expected result;
    answers how many attempts were lost on the way (their leases expired or were revoked)."""
    assert [view["state"] for view in views] == ["succeeded"] * len(expected)
    assert [view["result"] for view in views] == expected
    lost = 0
    for view in views:
        outcomes = [attempt["outcome"] for attempt in view["attempts"]]
        assert outcomes.count("succeeded") == 1 and outcomes[-1] == "succeeded", view
        lost += sum(outcome in ("expired", "revoked") for outcome in outcomes)
    return lost
