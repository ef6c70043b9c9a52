"""The task queue end to end: tasks submitted over JSON-RPC, run by real worker processes,
and timed from the server's own submit and finish times.

Throughput comes from a burst (all tasks submitted at once, in batches of 100). Latency comes
from a second, paced phase at half that rate: in a burst, latency is mostly queueing.
"""

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
        return asyncio.run(_drive(url, tasks))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)


async def _drive(url: str, tasks: int) -> QueueRun:
    async with Client(url, timeout=120) as client:
        await _submit_and_wait(client, 200)  # warm-up: workers registered and polling
        burst = await _submit_and_wait(client, tasks)
        span = max(v["finished_at"] for v in burst) - min(v["submitted_at"] for v in burst)
        rate = len(burst) / span
        paced = await _paced(client, count=min(tasks, 1000), per_s=rate / 2)
    latencies = sorted((v["finished_at"] - v["submitted_at"]) * 1000 for v in paced)
    return QueueRun(
        tasks_per_s=rate,
        p50_ms=statistics.median(latencies),
        p99_ms=latencies[int(len(latencies) * 0.99) - 1],
    )


async def _paced(client: Client, count: int, per_s: float) -> list[dict[str, Any]]:
    """Submit ``count`` tasks one at a time at ``per_s``, then wait for them all."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    ids = []
    for n in range(count):
        await asyncio.sleep(max(0.0, start + n / per_s - loop.time()))
        ids.append(
            (await client.call("tasks.submit", "compute", {"op": "add", "a": n, "b": n}))["task_id"]
        )
    return await _wait(client, ids)


async def _submit_and_wait(client: Client, count: int) -> list[dict[str, Any]]:
    ids: list[str] = []
    for start in range(0, count, 100):
        async with client.batch() as batch:
            submitted = [
                batch.call("tasks.submit", "compute", {"op": "add", "a": n, "b": n})
                for n in range(start, min(start + 100, count))
            ]
        ids.extend(future.result()["task_id"] for future in submitted)
    return await _wait(client, ids)


async def _wait(client: Client, ids: list[str]) -> list[dict[str, Any]]:
    """Each task once finished, checked: every one succeeded with the right sum."""
    count = len(ids)
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
