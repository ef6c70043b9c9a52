"""The Python client resuming across a server restart on Redis: the topic's history outlives
the process, so what was published while the client was away comes to it, and nothing twice."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.client import Client, Subscription, WsClient
from tests.helpers import redis_server
from tests.helpers.redis_server import RedisServer, free_port
from tests.helpers.server_process import server_process
from tests.helpers.tcp_proxy import proxy

pytestmark = redis_server.needs_redis

WAIT_S = 30.0
"""A bound on a hang, never a pass condition."""


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


async def next_result(subscription: Subscription) -> Any:
    async with asyncio.timeout(WAIT_S):
        return await anext(subscription)


async def test_a_subscription_resumes_across_a_server_restart(redis: RedisServer) -> None:
    port = free_port()
    settings = {"RPC_STORE": redis.url, "RPC_PORT": str(port)}
    # Through a proxy the test can cut, so the missed events are published before the client
    # can be back, and the resume has to replay them.
    async with proxy("127.0.0.1", port) as network:
        ws_url = f"http://127.0.0.1:{network.port}/rpc"
        async with WsClient(ws_url, reconnect_for_s=WAIT_S) as ws:
            async with server_process("--no-call-log", env=settings) as first:
                changes = await ws.subscribe("tasks.subscribe").start()
                before = await ws.call("tasks.submit", type="echo", payload=0)
                assert (await next_result(changes))["task_id"] == before["task_id"]
                epoch, offset = changes.epoch, changes.offset
                network.cut()
                first.process.send_signal(signal.SIGTERM)
                assert await first.stopped() == 0
            async with server_process("--no-call-log", env=settings) as second:
                async with Client(f"{second.url}/rpc") as other:
                    missed = [
                        await other.call("tasks.submit", type="echo", payload=i) for i in (1, 2)
                    ]
                network.mend()
                again = [await next_result(changes) for _ in missed]
                assert [c["task_id"] for c in again] == [m["task_id"] for m in missed]
                assert (changes.resumed, changes.recovered) == (1, True)
                assert (changes.epoch, changes.offset) == (epoch, offset + 2)
