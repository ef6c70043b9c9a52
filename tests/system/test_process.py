"""The real server process: serving, logging and graceful shutdown on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import aiohttp
import orjson
import pytest

from tests.helpers.server_process import server_process

PROBE = ("--plugins", "tests.helpers.probe:namespace")


async def rpc(session: aiohttp.ClientSession, url: str, method: str, params: object) -> object:
    payload = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
    async with session.post(f"{url}/rpc", json=payload) as response:
        return (await response.json())["result"]


async def test_serves_the_readme_call() -> None:
    async with server_process() as server, aiohttp.ClientSession() as session:
        body = b'{"jsonrpc":"2.0","method":"calc.add","params":[2,3],"id":1}'
        async with session.post(
            f"{server.url}/rpc", data=body, headers={"Content-Type": "application/json"}
        ) as response:
            assert await response.read() == b'{"jsonrpc":"2.0","result":5,"id":1}'
        await server.ready()  # once the city index is read, just after the listener is up


async def test_serves_on_uvloop_by_default_and_on_asyncio_when_asked() -> None:
    pytest.importorskip("uvloop")
    async with server_process() as server:
        await server.logged("/rpc (uvloop)")
    async with server_process("--loop", "asyncio") as server:
        await server.logged("/rpc (asyncio)")


async def test_sigterm_lets_an_in_flight_call_finish_and_exits_0() -> None:
    async with (
        server_process(*PROBE, "--drain-delay-s", "0.5") as server,
        aiohttp.ClientSession() as session,
    ):
        slow = asyncio.create_task(rpc(session, server.url, "probe.slow", [1.0]))
        assert await rpc(session, server.url, "probe.wait_active", [1]) == 1
        server.process.send_signal(signal.SIGTERM)
        # While draining, readiness fails on new connections before the listener closes.
        async with aiohttp.ClientSession() as fresh:
            status = 200
            while status == 200:
                async with fresh.get(f"{server.url}/readyz") as response:
                    status = response.status
            assert status == 503
        assert await slow == "done"
        assert await server.stopped() == 0
    log = "".join(server.log)
    assert "shutting down" in log and "stopped" in log


async def test_an_in_flight_call_gets_the_whole_shutdown_timeout() -> None:
    # aiohttp's wait is in two halves (see app/serve.py): a call must outlast the first.
    async with (
        server_process(*PROBE, "--shutdown-timeout-s", "4") as server,
        aiohttp.ClientSession() as session,
    ):
        slow = asyncio.create_task(rpc(session, server.url, "probe.slow", [2.5]))
        assert await rpc(session, server.url, "probe.wait_active", [1]) == 1
        server.process.send_signal(signal.SIGTERM)
        assert await slow == "done"
        assert await server.stopped() == 0


async def test_shutdown_timeout_bounds_a_call_that_would_not_finish() -> None:
    async with (
        server_process(*PROBE, "--shutdown-timeout-s", "0.2") as server,
        aiohttp.ClientSession() as session,
    ):
        stuck = asyncio.create_task(rpc(session, server.url, "probe.slow", [3600]))
        assert await rpc(session, server.url, "probe.wait_active", [1]) == 1
        server.process.send_signal(signal.SIGTERM)
        assert await server.stopped() == 0
        try:
            await stuck
        except aiohttp.ClientError:
            pass  # the connection was closed: the call was cut off, as bounded
        else:
            raise AssertionError("a call past the shutdown timeout should be cut off")


async def test_malformed_http_reveals_no_versions() -> None:
    async with server_process() as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GARBAGE\r\n\r\n")
        head = (await reader.read(1000)).decode()
        writer.close()
    assert head.startswith("HTTP/1.")
    server_line = next(line for line in head.splitlines() if line.lower().startswith("server:"))
    assert server_line.split(":", 1)[1].strip() == "rpc-hub"


async def test_json_logs_one_line_per_call() -> None:
    async with server_process("--log-format", "json") as server, aiohttp.ClientSession() as session:
        async with session.post(
            f"{server.url}/rpc",
            json=[
                {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": 1},
                {"jsonrpc": "2.0", "method": "nope", "id": 2},
            ],
            headers={"X-Request-ID": "json-log-1"},
        ) as response:
            assert response.status == 200
        server.process.send_signal(signal.SIGTERM)
        assert await server.stopped() == 0
    lines = [orjson.loads(line) for line in server.log if line.strip()]
    calls = [line for line in lines if line.get("request_id") == "json-log-1"]
    assert [(c["method"], c["outcome"], c["code"]) for c in calls] == [
        ("calc.add", "ok", None),
        ("nope", "error", -32601),
    ]
    assert all(isinstance(c["duration_ms"], float) for c in calls)


async def test_an_idle_keep_alive_connection_is_closed_after_the_timeout() -> None:
    async with server_process("--keepalive-s", "0.5") as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        body = b'{"jsonrpc":"2.0","method":"calc.add","params":[2,3],"id":1}'
        writer.write(
            b"POST /rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()
        async with asyncio.timeout(10):  # the server, not this bound, ends the wait
            answer = await reader.read()  # to EOF: the server closes the idle connection
        writer.close()
        assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b'"result":5,"id":1}')


async def test_the_open_files_limit_is_raised_to_the_hard_limit() -> None:
    async with server_process() as server:
        limits = await asyncio.to_thread(Path(f"/proc/{server.process.pid}/limits").read_text)
    [line] = [line for line in limits.splitlines() if line.startswith("Max open files")]
    soft, hard = line.split()[3:5]
    assert soft == hard
