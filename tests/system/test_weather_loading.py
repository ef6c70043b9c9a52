"""The city index loads after the listener is up: /readyz answers 503 "starting" until it is
read, the rest of the API serves meanwhile, and a weather call waits for it and answers.

A real server process, with its cache directory (``XDG_CACHE_HOME``) in a temporary place:
the packed table there is a named pipe, so the test decides when the server can read it.
"""

from __future__ import annotations

import asyncio
import errno
import os
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from app.client import Client
from app.weather import pack
from tests.helpers.server_process import ServerProcess, server_process

STARTING = (503, "starting")


def packed_table() -> bytes:
    """The table as the server would find it in its cache (read from this user's, or built)."""
    return pack.load_table().pack(pack.dataset_key(pack.dataset()) or "")


def open_writer(pipe: Path) -> int | None:
    """The write end of ``pipe``, once a reader has it open (None before)."""
    try:
        writer = os.open(pipe, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as error:
        if error.errno == errno.ENXIO:
            return None
        raise
    os.set_blocking(writer, True)
    return writer


def send(writer: int, data: bytes) -> None:
    with open(writer, "wb") as pipe:
        pipe.write(data)


async def inflight(server: ServerProcess) -> float:
    async with aiohttp.ClientSession() as http, http.get(f"{server.url}/metrics") as got:
        text = await got.text()
    families = text_string_to_metric_families(text)
    [value] = [s.value for f in families for s in f.samples if s.name == "rpc_inflight"]
    return value


async def test_readyz_says_starting_until_the_index_is_read_and_a_weather_call_waits(
    tmp_path: Path,
) -> None:
    table = tmp_path / "rpc-hub" / f"cities{pack.MIN_POPULATION}.pack"
    table.parent.mkdir()
    os.mkfifo(table)
    data = packed_table()
    async with (
        server_process(env={"XDG_CACHE_HOME": str(tmp_path)}) as server,
        Client(f"{server.url}/rpc") as rpc,
        Client(f"{server.url}/rpc") as waiter,
    ):
        assert await server.readiness() == STARTING
        assert await rpc.call("calc.add", a=1, b=2) == 3, "the rest of the API serves meanwhile"
        call = asyncio.create_task(waiter.call("weather.get_temperature", city="Paris"))
        while await inflight(server) < 1:  # the server holds the call: it waits for the index
            assert not call.done(), call
        assert await server.readiness() == STARTING
        assert not call.done()
        while (writer := open_writer(table)) is None:  # until the server's loader reads it
            assert await server.readiness() == STARTING
        await asyncio.to_thread(send, writer, data)
        reading = await call
        assert (reading["city"]["name"], reading["city"]["country"]) == ("Paris", "FR")
        await server.ready()
        await server.logged(f"city index: read {table}")


async def test_a_cold_start_builds_the_table_keeps_it_and_the_next_start_reads_it(
    tmp_path: Path,
) -> None:
    table = tmp_path / "rpc-hub" / f"cities{pack.MIN_POPULATION}.pack"
    table.parent.mkdir()
    table.write_bytes(b"damaged")  # a broken cache is built again, not half-read
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    async with server_process(env=env) as server, Client(f"{server.url}/rpc") as rpc:
        reading = await rpc.call("weather.current", city="Wien")
        assert reading["city"]["name"] == "Vienna"
        await server.ready()
        await server.logged("city index: built from")
        assert any("not a packed city table" in line for line in server.log)
    assert table.read_bytes() == packed_table()
    async with server_process(env=env) as server, Client(f"{server.url}/rpc") as rpc:
        await server.ready()
        await server.logged(f"city index: read {table}")
        err = await rpc.send(
            {"jsonrpc": "2.0", "method": "weather.current", "params": ["Pariss"], "id": 1}
        )
        assert err["error"]["data"]["did_you_mean"][0]["name"] == "Paris"
