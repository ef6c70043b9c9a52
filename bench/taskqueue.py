"""The task queue end to end: tasks submitted over JSON-RPC, run by real worker processes,
and timed from the server's own submit and finish times."""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.client import Client
from bench.servers import pinned


@dataclass(frozen=True)
class QueueRun:
    tasks_per_s: float
    p50_ms: float
    p99_ms: float


def run(url: str, tasks: int, workers: int, cpu: int | None, logs: Path) -> QueueRun:
    """Run ``workers`` worker processes, submit ``tasks`` compute tasks in batches of 100, and
    wait for every one to succeed."""
    command = [sys.executable, "-m", "app.cli", "worker", "--url", url, "--types", "compute"]
    processes = [
        subprocess.Popen(
            pinned([*command, "--name", f"bench-{n}", "--log-level", "warning"], cpu),
            stdout=subprocess.DEVNULL,
            stderr=(logs / f"worker-{n}.log").open("wb"),
        )
        for n in range(workers)
    ]
    try:
        views = asyncio.run(_drive(url, tasks))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
    latencies = sorted((v["finished_at"] - v["submitted_at"]) * 1000 for v in views)
    span = max(v["finished_at"] for v in views) - min(v["submitted_at"] for v in views)
    return QueueRun(
        tasks_per_s=len(views) / span,
        p50_ms=statistics.median(latencies),
        p99_ms=latencies[int(len(latencies) * 0.99) - 1],
    )


async def _drive(url: str, tasks: int) -> list[dict[str, Any]]:
    async with Client(url, timeout=120) as client:
        await _submit_and_wait(client, 200)  # warm-up: workers registered and polling
        return await _submit_and_wait(client, tasks)


async def _submit_and_wait(client: Client, count: int) -> list[dict[str, Any]]:
    ids: list[str] = []
    for start in range(0, count, 100):
        async with client.batch() as batch:
            submitted = [
                batch.call("tasks.submit", "compute", {"op": "add", "a": n, "b": n})
                for n in range(start, min(start + 100, count))
            ]
        ids.extend(future.result()["task_id"] for future in submitted)
    views: list[dict[str, Any]] = []
    for start in range(0, count, 100):
        async with client.batch() as batch:
            waited = [batch.call("tasks.get", task_id, 60) for task_id in ids[start : start + 100]]
        views.extend(future.result() for future in waited)
    failed = [v for v in views if v["state"] != "succeeded"]
    if failed:
        raise RuntimeError(f"{len(failed)} tasks did not succeed, e.g. {failed[0]}")
    wrong = [v for v in views if v["result"] != 2 * v["payload"]["a"]]
    if wrong:
        raise RuntimeError(f"{len(wrong)} tasks have a wrong result, e.g. {wrong[0]}")
    return views
