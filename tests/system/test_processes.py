"""``rpc-hub serve --processes N``: N real server processes on one port over one Redis."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.client import Client
from tests.helpers import redis_server
from tests.helpers.redis_server import RedisServer
from tests.helpers.server_process import ROOT, server_process


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@redis_server.needs_redis
async def test_two_processes_share_the_port_and_the_store_and_sigterm_drains_both(
    redis: RedisServer,
) -> None:
    async with server_process("--processes", "2", env={"RPC_STORE": redis.url}) as server:
        await server.logged("serving on", times=2)
        async with Client(f"{server.url}/rpc") as rpc:
            # Many connections, so both processes take some; each sees what the other wrote.
            carts = await asyncio.gather(*(rpc.call("cart.create") for _ in range(50)))
            for cart in carts:
                assert (await rpc.call("cart.get", cart_id=cart["cart_id"]))["lines"] == []
        server.process.send_signal(signal.SIGTERM)
        assert await server.stopped() == 0
    assert sum("stopped" in line for line in server.log) >= 2, "".join(server.log)
    assert any("all 2 server processes stopped" in line for line in server.log)


def test_several_processes_over_the_memory_store_are_refused_with_a_clear_message() -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "app", "--processes", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert refused.returncode == 2
    assert "--processes needs a shared store" in refused.stderr
    assert "--store redis://" in refused.stderr


@redis_server.needs_redis
async def test_the_servers_stop_when_their_supervisor_is_killed(redis: RedisServer) -> None:
    async with server_process("--processes", "2", env={"RPC_STORE": redis.url}) as server:
        await server.logged("serving on", times=2)
        pid = server.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()  # noqa: ASYNC240
        server.process.send_signal(signal.SIGKILL)
        # Each server is told (SIGTERM) and drains; none is left holding the port.
        await server.logged("stopped", times=2)
        assert await server.stopped() == -signal.SIGKILL
    async with asyncio.timeout(10):
        for child in children:
            await exited(int(child))


async def exited(pid: int) -> None:
    """Wait until ``pid`` has exited (a zombie nobody reaped counts: a container's init may
    not reap), told by its pidfd, not by polling."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    done = asyncio.get_running_loop().create_future()
    loop = asyncio.get_running_loop()
    loop.add_reader(pidfd, done.set_result, None)
    try:
        await done
    finally:
        loop.remove_reader(pidfd)
        os.close(pidfd)
