"""`rpc-hub worker` finds the server from `RPC_URL` as `call` and `methods` do: a real
worker process, given no `--url`, registers with and runs tasks for a real server."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

from app.client import Client, WsClient
from app.tasks.models import TERMINAL
from tests.helpers.server_process import server_process

RPC_HUB = str(Path(sys.executable).with_name("rpc-hub"))
WAIT_S = 30.0
"""A bound on a hang, never a pass condition."""
ENDS = frozenset(state.value for state in TERMINAL)
_REGISTERED = re.compile(r"registered as (\S+)")


async def test_the_worker_reaches_the_server_named_by_rpc_url() -> None:
    async with server_process("--no-call-log") as server:
        url = f"{server.url}/rpc"
        env = {k: v for k, v in os.environ.items() if k not in ("RPC_KEY", "RPC_TOKEN")}
        worker = await asyncio.create_subprocess_exec(
            RPC_HUB,
            "worker",
            "--types",
            "compute",
            env={**env, "RPC_URL": url},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        log: list[str] = []
        try:
            async with asyncio.timeout(WAIT_S):
                while not (registered := _REGISTERED.search(line := await _line(worker))):
                    log.append(line)
                    assert line, "the worker exited before registering:\n" + "".join(log)
                async with Client(url) as client:
                    workers = await client.call("workers.list")
                assert registered.group(1) in [each["worker_id"] for each in workers]
                async with WsClient(url) as ws:
                    payload = {"op": "add", "a": 2, "b": 3}
                    task = await ws.call("tasks.submit", type="compute", payload=payload)
                    async with ws.subscribe("tasks.subscribe", task_id=task["task_id"]) as changes:
                        async for change in changes:
                            if change["state"] in ENDS:
                                break
            assert (change["state"], change.get("result")) == ("succeeded", 5)
        finally:
            worker.terminate()
            async with asyncio.timeout(WAIT_S):
                await worker.communicate()


async def _line(process: asyncio.subprocess.Process) -> str:
    assert process.stderr is not None
    return (await process.stderr.readline()).decode()
