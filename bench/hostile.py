"""Hostile load: wrk floods the heaviest batches it can find (100 calls for unknown cities,
each a fuzzy "did you mean" search) from hundreds of keyless connections, while an honest
caller with its own key sends one call at a steady pace. What counts is the honest
caller's latency, and how much of the flood the server shed (429s and 503s)."""

from __future__ import annotations

import asyncio
import random
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import orjson

from app.auth import keyfile
from bench import servers, wrk


def heavy_bodies(count: int = 300, seed: int = 14) -> list[bytes]:
    """Batches of 100 ``weather.current`` calls for made-up cities of common letters: the
    costliest fuzzy searches, each name new, so no cache of suggestions can help."""
    rng = random.Random(seed)
    return [
        orjson.dumps(
            [
                {"jsonrpc": "2.0", "method": "weather.current", "params": [_junk(rng)], "id": n}
                for n in range(100)
            ]
        )
        for _ in range(count)
    ]


def _junk(rng: random.Random) -> str:
    return "".join(rng.choice("aeinorstlh ") for _ in range(12)).strip() or "x"


HONEST = b'{"jsonrpc":"2.0","method":"calc.add","params":[2,3],"id":1}'


@dataclass(frozen=True)
class HostileRun:
    honest_p50_ms: float
    honest_p99_ms: float
    honest_failures: int
    hostile_requests_per_s: float
    shed_share: float
    """Hostile requests refused whole (429 or 503), of all hostile requests answered."""
    rss_mib: float


def run(
    wrk_path: str,
    logs: Path,
    server_cpu: int | None,
    load_cpu: int | None,
    seconds: int,
    connections: int = 256,
    honest_per_s: float = 50.0,
) -> HostileRun:
    keys = logs / "hostile-keys"
    honest_key, _ = keyfile.create(keys, "honest", ["calc"])
    lua = logs / "hostile.lua"
    lua.write_text(wrk.script(heavy_bodies()))
    with servers.running(
        "rpc-hub (hostile)",
        servers.app_command("--keys-file", str(keys)),
        server_cpu,
        logs / "hostile.log",
        servers.APP_READY,
    ) as app:
        latencies: list[float] = []
        failures: list[int] = []
        stop = threading.Event()
        honest = threading.Thread(
            target=lambda: asyncio.run(
                _honest(app.url, honest_key, honest_per_s, stop, latencies, failures)
            )
        )
        honest.start()
        try:
            load = wrk.run(wrk_path, app.url, str(lua), seconds, connections, load_cpu)
        finally:
            stop.set()
            honest.join()
        rss = app.rss_mib()
    latencies.sort()
    return HostileRun(
        honest_p50_ms=statistics.median(latencies),
        honest_p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        honest_failures=len(failures),
        hostile_requests_per_s=load.requests_per_s,
        shed_share=load.non_2xx / max(1, load.requests),
        rss_mib=rss,
    )


async def _honest(
    url: str,
    key: str,
    per_s: float,
    stop: threading.Event,
    latencies: list[float],
    failures: list[int],
) -> None:
    """One call every 1/per_s seconds on its own connection, timed from send to answer."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(headers=headers, timeout=timeout) as session:
        next_at = time.perf_counter()
        while not stop.is_set():
            started = time.perf_counter()
            try:
                async with session.post(url, data=HONEST) as response:
                    body = await response.read()
                ok = response.status == 200 and b'"result":5' in body
            except (aiohttp.ClientError, TimeoutError):
                ok = False
            latencies.append((time.perf_counter() - started) * 1000)
            if not ok:
                failures.append(1)
            next_at += 1 / per_s
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
