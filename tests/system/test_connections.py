"""Connection hygiene of the real server process: deadlines for headers and bodies, idle
keep-alive connections closed, a cap on connections, JSON for malformed HTTP, and calls
of clients that hang up cancelled."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson

from tests.helpers.server_process import ServerProcess, server_process

PROBE = ("--plugins", "tests.helpers.probe:namespace")
WAIT_S = 20.0
"""How long a test waits for the server to act; the deadlines under test are far shorter."""


@asynccontextmanager
async def connection(
    server: ServerProcess,
) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def request(body: bytes, *, length: int | None = None, close: bool = False) -> bytes:
    head = (
        "POST /rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body) if length is None else length}\r\n"
    )
    if close:
        head += "Connection: close\r\n"
    return head.encode() + b"\r\n" + body


async def answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], object]:
    """One HTTP response: its status, headers and JSON body."""
    async with asyncio.timeout(WAIT_S):
        status_line = await reader.readline()
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers["content-length"]))
    return int(status_line.split()[1]), headers, orjson.loads(body)


async def closed(reader: asyncio.StreamReader) -> bool:
    """Whether the server closes the connection (reading what is left until it does)."""
    async with asyncio.timeout(WAIT_S):
        while await reader.read(65536):
            pass
    return reader.at_eof()


CALL = b'{"jsonrpc":"2.0","method":"probe.count","id":1}'


async def test_headers_that_do_not_arrive_in_time_get_408_and_a_close() -> None:
    async with server_process("--read-timeout-s", "0.3") as server:
        async with connection(server) as (reader, writer):
            writer.write(b"POST /rpc HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
            status, headers, body = await answer(reader)
            assert status == 408
            assert headers["connection"] == "close"
            assert body["error"]["data"] == {"timeout_s": 0.3}  # type: ignore[index]
            assert await closed(reader)
        async with connection(server) as (reader, _):  # says nothing at all
            assert (await answer(reader))[0] == 408


async def test_a_body_that_does_not_arrive_in_time_gets_408_and_a_close() -> None:
    async with (
        server_process(*PROBE, "--read-timeout-s", "0.3") as server,
        connection(server) as (reader, writer),
    ):
        writer.write(request(CALL[:10], length=len(CALL)))
        status, _, body = await answer(reader)
        assert status == 408
        assert body["error"]["code"] == -32600  # type: ignore[index]
        assert await closed(reader)


async def test_an_idle_keep_alive_connection_is_closed() -> None:
    async with (
        server_process(*PROBE, "--keepalive-s", "0.3") as server,
        connection(server) as (reader, writer),
    ):
        writer.write(request(CALL))
        assert (await answer(reader))[0] == 200
        assert await closed(reader)


async def test_past_the_connection_cap_a_connection_gets_503_and_a_probe_is_served_below_it() -> (
    None
):
    async with server_process(*PROBE, "--max-connections", "3") as server:
        async with connection(server) as idle, connection(server):
            idle[1].write(request(CALL))
            assert (await answer(idle[0]))[0] == 200  # held open, idle
            async with connection(server) as (reader, writer):  # the third: served
                writer.write(request(CALL))
                assert (await answer(reader))[0] == 200
                async with connection(server) as (turned, _):  # the fourth: refused
                    status, headers, body = await answer(turned)
                    assert status == 503
                    assert headers["retry-after"] == "1"
                    assert body["error"]["code"] == -32005  # type: ignore[index]
                    assert body["error"]["data"]["limit"] == 3  # type: ignore[index]
                    assert await closed(turned)
        async with asyncio.timeout(WAIT_S):
            while True:  # room again, once the server has seen the others close
                async with connection(server) as (reader, writer):
                    writer.write(request(CALL))
                    if (await answer(reader))[0] == 200:
                        break
                await asyncio.sleep(0.05)


async def test_malformed_http_gets_a_json_400_that_echoes_nothing() -> None:
    async with server_process() as server:
        for junk in (
            b"\x16\x03\x01 hello-secret\r\n\r\n",
            b"GET /x HTTP/1.1\r\nBad Header-secret\r\n\r\n",
        ):
            async with connection(server) as (reader, writer):
                writer.write(junk)
                status, headers, body = await answer(reader)
                assert status == 400
                assert headers["content-type"] == "application/json"
                assert body["error"]["code"] == -32600  # type: ignore[index]
                assert b"secret" not in orjson.dumps(body)


async def test_a_call_whose_client_hangs_up_is_cancelled() -> None:
    async with server_process(*PROBE) as server:
        slow = b'{"jsonrpc":"2.0","method":"probe.slow","params":[60],"id":1}'
        stats = b'{"jsonrpc":"2.0","method":"probe.stats","id":2}'
        async with connection(server) as (_, writer):
            writer.write(request(slow))
            async with connection(server) as (reader, check):
                check.write(
                    request(b'{"jsonrpc":"2.0","method":"probe.wait_active","params":[1],"id":1}')
                )
                assert (await answer(reader))[0] == 200
        async with asyncio.timeout(WAIT_S), connection(server) as (reader, writer):
            while True:  # the server notices the hang-up on its own time
                writer.write(request(stats))
                _, _, body = await answer(reader)
                if body["result"]["cancelled"] == 1:  # type: ignore[index]
                    break
                await asyncio.sleep(0.05)
            assert body["result"]["active"] == 0  # type: ignore[index]


async def test_refusals_are_logged_once_each_and_counted_by_status() -> None:
    async with server_process() as server:
        async with connection(server) as (reader, writer):
            writer.write(
                b"POST /rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                b"Content-Length: 2\r\n\r\n{}"
            )
            assert (await answer(reader))[0] == 415
        async with connection(server) as (reader, writer):
            writer.write(b"NOT HTTP\r\n\r\n")
            assert (await answer(reader))[0] == 400
        await server.logged("refused POST /rpc: 415")
        await server.logged("refused malformed HTTP")
        server.process.send_signal(signal.SIGTERM)
        assert await server.stopped() == 0
    [summary] = [line for line in server.log if "refused since start" in line]
    assert "1 × 400" in summary
    assert "1 × 415" in summary
