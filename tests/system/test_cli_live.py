"""Live updates from the client side, as real processes against a real server: ``rpc-hub
subscribe`` piped, ``rpc-hub call --follow`` with a real worker, the Python client across a
server restart, and ``rpc-hub worker --transport ws``."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
import pytest_asyncio

from app.client import Client, Subscription, WsClient
from tests.helpers.redis_server import free_port
from tests.helpers.server_process import ServerProcess, server_process
from tests.helpers.terminal import terminal
from tests.helpers.worker_process import worker_process
from tests.helpers.workload import FAST, assert_done_once, finished, mixed_task, submit_all

pytestmark = pytest.mark.asyncio(loop_scope="module")

RPC_HUB = str(Path(sys.executable).with_name("rpc-hub"))
WAIT_S = 30.0
"""A bound on a hang, never a pass condition."""


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def server() -> AsyncIterator[ServerProcess]:
    async with server_process(*FAST) as process:
        yield process


def environment(server: ServerProcess) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RPC_TOKEN", "NO_COLOR")}
    return {**env, "RPC_URL": f"{server.url}/rpc"}


async def rpc_hub(server: ServerProcess, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        RPC_HUB,
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environment(server),
    )


async def json_line(process: asyncio.subprocess.Process) -> Any:
    assert process.stdout is not None
    async with asyncio.timeout(WAIT_S):
        line = await process.stdout.readline()
    assert line.endswith(b"\n"), line
    return orjson.loads(line)


async def next_result(subscription: Subscription) -> Any:
    async with asyncio.timeout(WAIT_S):
        return await anext(subscription)


async def test_subscribe_piped_prints_a_task_finishing_as_json_lines(
    server: ServerProcess,
) -> None:
    url = f"{server.url}/rpc"
    # Where the topic is now: the command resumes from here, so no event can slip past it
    # while it starts.
    async with WsClient(url) as ws, ws.subscribe("tasks.subscribe") as here:
        since = orjson.dumps({"epoch": here.epoch, "offset": here.offset}).decode()
    subscriber = await rpc_hub(server, "subscribe", "tasks.subscribe", f"since={since}")
    async with worker_process(server.url), Client(url) as other:
        task = await other.call(
            "tasks.submit", type="compute", payload={"op": "add", "a": 2, "b": 3}
        )
        states: list[dict[str, Any]] = []
        while not states or states[-1]["state"] != "succeeded":
            change = await json_line(subscriber)
            if change["task_id"] == task["task_id"]:
                states.append(change)
    assert [change["state"] for change in states] == ["pending", "running", "succeeded"]
    assert states[-1]["result"] == 5
    subscriber.send_signal(signal.SIGINT)  # Ctrl-C
    async with asyncio.timeout(WAIT_S):
        _, err = await subscriber.communicate()
    assert (subscriber.returncode, err) == (0, b"")


async def test_subscribe_on_a_terminal_prints_highlighted_events(server: ServerProcess) -> None:
    url = f"{server.url}/rpc"
    async with WsClient(url) as ws:
        task = await ws.call("tasks.submit", type="echo", payload="shown")
    screen = await terminal(
        server.url, "subscribe", "tasks.subscribe", f"task_id={task['task_id']}"
    )
    try:
        await screen.shows("subscribed to tasks.subscribe; Ctrl-C to stop")
        await screen.shows(f'"task_id": "{task["task_id"]}"')  # the task as it is now
        assert b"\x1b[" in screen.raw
        screen.process.send_signal(signal.SIGINT)
        assert await screen.exited() == 0
    finally:
        screen.close()


async def test_call_follow_prints_a_tasks_changes_until_it_ends(server: ServerProcess) -> None:
    async with worker_process(server.url):
        done = await rpc_hub(
            server, "call", "--follow", "tasks.submit", "type=compute",
            'payload={"op": "multiply", "a": 6, "b": 7}',
        )  # fmt: skip
        out, err = await asyncio.wait_for(done.communicate(), WAIT_S)
        failed = await rpc_hub(
            server, "call", "--follow", "tasks.submit", "type=compute",
            'payload={"op": "divide", "a": 1, "b": 0}',
        )  # fmt: skip
        failed_out, _ = await asyncio.wait_for(failed.communicate(), WAIT_S)
    lines = [orjson.loads(line) for line in out.splitlines()]
    submission, changes = lines[0], lines[1:]
    assert (done.returncode, err) == (0, b"")
    assert {change["task_id"] for change in changes} == {submission["task_id"]}
    assert submission["state"] == "pending"
    # The first change is the task as it was when the follow began; the last, its end.
    assert {change["state"] for change in changes} <= {"pending", "running", "succeeded"}
    assert changes[-1]["state"] == "succeeded" and changes[-1]["result"] == 42
    assert failed.returncode == 4
    assert orjson.loads(failed_out.splitlines()[-1])["state"] == "failed"


async def test_the_client_resubscribes_after_a_server_restart() -> None:
    """A memory store starts empty: the client is told that it did not recover."""
    port = str(free_port())
    async with WsClient(f"http://127.0.0.1:{port}/rpc", reconnect_for_s=WAIT_S) as ws:
        async with server_process("--no-call-log", "--port", port) as first:
            changes = await ws.subscribe("tasks.subscribe").start()
            before = await ws.call("tasks.submit", type="echo", payload=1)
            assert (await next_result(changes))["task_id"] == before["task_id"]
            epoch = changes.epoch
            first.process.send_signal(signal.SIGTERM)  # closes the socket with 1001
            assert await first.stopped() == 0
        async with server_process("--no-call-log", "--port", port):
            # A call waits for the socket to open again, and the subscription to be renewed.
            after = await ws.call("tasks.submit", type="echo", payload=2)
            assert (await next_result(changes))["task_id"] == after["task_id"]
    assert (changes.resumed, changes.recovered) == (1, False)
    assert changes.epoch != epoch
    assert ws.reconnects == 1


async def test_a_worker_over_a_websocket_runs_tasks_across_a_restart() -> None:
    port = str(free_port())
    # One stream allowed: the worker's session holds it, so no HTTP long-poll does the work.
    args = (*FAST, "--port", port, "--max-streams", "1")
    work = [mixed_task(i) for i in range(30)]
    async with server_process(*args) as first:
        url = f"{first.url}/rpc"
        async with worker_process(first.url, "--transport", "ws") as worker:
            async with Client(url) as rpc:
                ids = await submit_all(rpc, [task for task, _ in work])
                assert_done_once(await finished(rpc, ids), [result for _, result in work])
                async with WsClient(url) as ws:
                    with pytest.raises(aiohttp.WSServerHandshakeError) as full:
                        await ws.connect()
                assert full.value.status == 503
            first.process.send_signal(signal.SIGTERM)
            assert await first.stopped() == 0
            async with server_process(*args), Client(url) as rpc:
                async with asyncio.timeout(WAIT_S), worker.changed:  # registered again
                    await worker.changed.wait_for(lambda: len(worker.worker_ids) == 2)
                ids = await submit_all(rpc, [task for task, _ in work[:5]])
                assert_done_once(await finished(rpc, ids), [result for _, result in work[:5]])
    assert len(worker.worker_ids) == 2
