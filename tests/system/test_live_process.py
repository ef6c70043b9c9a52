"""Live updates against the real server process: ``curl -N`` reading an event stream, and
SIGTERM answering a WebSocket's call in flight before closing it with 1001."""

from __future__ import annotations

import asyncio
import shutil
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import orjson
import pytest

from tests.helpers.server_process import ServerProcess, server_process
from tests.helpers.ws import WAIT_S, Socket

PROBE = ("--plugins", "tests.helpers.probe:namespace")
SUBSCRIBE = b'{"jsonrpc":"2.0","method":"tasks.subscribe","id":1}'
needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


async def rpc(session: aiohttp.ClientSession, url: str, method: str, params: Any = None) -> Any:
    payload = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
    async with session.post(f"{url}/rpc", json=payload) as response:
        body = await response.json()
        assert "result" in body, body
        return body["result"]


class Curl:
    """``curl -N``, its output read line by line as it streams."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def line(self) -> str:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), WAIT_S)
        return raw.decode().rstrip("\n")

    async def event(self) -> dict[str, str]:
        """The next event's fields (``id``, ``data``), skipping comments."""
        fields: dict[str, str] = {}
        while (line := await self.line()) or not fields:
            if line and not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value
        return fields


@asynccontextmanager
async def curl(server: ServerProcess, *headers: str) -> AsyncIterator[Curl]:
    args = ["-sSN", "-H", "Content-Type: application/json", "-H", "Accept: text/event-stream"]
    for header in headers:
        args += ["-H", header]
    process = await asyncio.create_subprocess_exec(
        "curl",
        *args,
        "--data-binary",
        SUBSCRIBE.decode(),
        f"{server.url}/rpc",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        yield Curl(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@needs_curl
async def test_curl_follows_tasks_and_resumes_with_last_event_id() -> None:
    async with server_process() as server, aiohttp.ClientSession() as session:
        async with curl(server) as first:
            answer = orjson.loads((await first.event())["data"])
            epoch = answer["result"]["epoch"]
            task = await rpc(session, server.url, "tasks.submit", {"type": "echo"})
            event = await first.event()
            assert event["id"] == f"{epoch}:1"
            notification = orjson.loads(event["data"])
            assert notification["method"] == "rpc.subscription"
            assert notification["params"]["result"]["task_id"] == task["task_id"]
        missed = [
            (await rpc(session, server.url, "tasks.submit", {"type": "echo"}))["task_id"]
            for _ in range(2)
        ]
        async with curl(server, f"Last-Event-ID: {epoch}:1") as again:
            answer = orjson.loads((await again.event())["data"])
            assert answer["result"]["recovered"] is True
            got = [await again.event() for _ in missed]
            assert [event["id"] for event in got] == [f"{epoch}:2", f"{epoch}:3"]
            tasks = [orjson.loads(event["data"])["params"]["result"]["task_id"] for event in got]
            assert tasks == missed


@needs_curl
async def test_curl_sees_its_stream_end_at_shutdown() -> None:
    async with server_process() as server, curl(server) as stream:
        await stream.event()
        server.process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(stream.process.wait(), WAIT_S) == 0  # a clean end
        assert await server.stopped() == 0


async def test_sigterm_answers_the_calls_in_flight_then_closes_with_1001() -> None:
    async with (
        server_process(*PROBE) as server,
        aiohttp.ClientSession() as session,
    ):
        ws = await session.ws_connect(f"{server.url}/rpc")
        socket = Socket(ws)
        worker = await socket.result(
            "workers.register", {"name": "w", "types": ["echo"], "capacity": 1}
        )
        claim = asyncio.create_task(
            socket.call(
                "tasks.claim",
                {
                    "worker_id": worker["worker_id"],
                    "worker_token": worker["worker_token"],
                    "wait_s": 20,
                },
            )
        )
        slow = asyncio.create_task(socket.call("probe.slow", [1.0]))
        assert await rpc(session, server.url, "probe.wait_active", [1]) == 1
        server.process.send_signal(signal.SIGTERM)
        assert (await claim)["result"] == []  # draining: the long-poll returns at once
        assert (await slow)["result"] == "done"  # and a call still working is let finish
        assert await socket.close_code() == 1001
        assert socket.closed.result()[1] == "server shutting down"
        assert await server.stopped() == 0
