"""Memory under hostile use: clients with many keys fill every cap the server has (tasks
with the largest payloads, workers, carts, game seats) and the server's RSS is read after
each. With the defaults the caps must hold it under 1 GB, whatever clients send."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.auth import keyfile
from app.client import Client
from app.rpc.errors import RPCError
from bench import servers

KEYS = 101
"""Enough keys to fill every server-wide cap past the per-key quotas (100k carts at 1,000 each)."""
PAYLOAD = "x" * 65_000
"""Just under the default task payload limit (64 KiB of JSON)."""


@dataclass(frozen=True)
class MemoryRun:
    idle_mib: float
    after_mib: dict[str, float]
    """RSS after each phase, in order; each phase keeps what the earlier ones made."""
    refused: dict[str, str]
    """What each phase was finally refused with: the cap that held."""


def run(logs: Path, server_cpu: int | None) -> MemoryRun:
    keys_file = logs / "memory-keys"
    keys = [
        keyfile.create(keys_file, f"filler-{n}", ["tasks:submit", "tasks:work", "cart", "game"])[0]
        for n in range(KEYS)
    ]
    with servers.running(
        "rpc-hub (memory)",
        servers.app_command("--keys-file", str(keys_file)),
        server_cpu,
        logs / "memory.log",
        servers.APP_READY,
    ) as app:
        idle = app.rss_mib()
        after: dict[str, float] = {}
        refused: dict[str, str] = {}
        for phase, fill in PHASES.items():
            outcomes = asyncio.run(_everyone(app.url, keys, fill))
            refused[phase] = ", ".join(sorted(set(outcomes)))
            after[phase] = app.rss_mib()
    return MemoryRun(idle, after, refused)


async def _everyone(url: str, keys: list[str], fill: Any) -> list[str]:
    """Every key fills at once, until it is refused; the errors that stopped them."""

    async def one(index: int, key: str) -> str:
        async with Client(url, token=key, timeout=60) as client:
            return str(await fill(client, index))

    return list(await asyncio.gather(*(one(index, key) for index, key in enumerate(keys))))


async def _until_refused(client: Client, method: str, *params: Any, per_batch: int = 20) -> int:
    """Call ``method`` in batches until the server refuses one; the refusal's code."""
    while True:
        try:
            async with client.batch() as batch:
                calls = [batch.call(method, *params) for _ in range(per_batch)]
        except RPCError as refused:  # refused whole: rate limited even after the retries
            if refused.code == -32003:
                continue
            return refused.code
        codes = {error.code for call in calls if isinstance(error := call.exception(), RPCError)}
        codes.discard(-32003)  # just pacing
        if codes:
            return min(codes)


async def _tasks(client: Client, index: int) -> int:
    return await _until_refused(client, "tasks.submit", "compute", {"blob": PAYLOAD}, per_batch=10)


async def _workers(client: Client, index: int) -> int:
    return await _until_refused(client, "workers.register", "filler", ["compute"])


async def _carts(client: Client, index: int) -> int:
    return await _until_refused(client, "cart.create", per_batch=100)


async def _seats(client: Client, index: int) -> int:
    for n in range(100_000):
        try:
            await client.call("game.join", f"k{index}p{n}")
        except RPCError as error:
            return error.code
    return 0


PHASES = {"tasks": _tasks, "workers": _workers, "carts": _carts, "seats": _seats}
