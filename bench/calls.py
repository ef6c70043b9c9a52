"""``calc.add`` over WebSocket sessions beside single calls over HTTP keep-alive (issue 16).

Every load runs against the same server in interleaved rounds (medians reported): WebSocket
sessions with several calls in flight on each and with one, and HTTP from the same Python
client (aiohttp, one event loop in this process) and from wrk. The server's CPU per call is
the like-for-like figure: over HTTP, aiohttp's client spends more per call than the server
does, so that load's calls/s measure the client.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import orjson

from bench import servers, wrk
from bench.meter import Meter, Spent, percentile
from bench.subscribers import Socket

PIPELINE = 4
"""Calls in flight per WebSocket session (the server reads up to 16 at once)."""
CALL = b'{"jsonrpc":"2.0","method":"calc.add","params":[2,3],"id":%d}'
JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class CallLoad:
    name: str
    calls_per_s: float
    p50_ms: float
    p99_ms: float
    server_cpu_us_per_call: float
    server_waited_share: float
    """Of the run, the server was ready but another process had its core."""
    client_cpu_us_per_call: float | None
    """This process's CPU per call (None: wrk, its own process)."""
    client_core_share: float | None
    client_waited_share: float | None
    """Of the run's wall time (None: wrk)."""


@dataclass(frozen=True)
class _Run:
    calls: int
    p50_ms: float
    p99_ms: float
    spent: Spent
    client_measured: bool = True


Load = Callable[[int], _Run]
"""One run of a call load for so many seconds."""


def measure(
    app: servers.Server,
    wrk_path: str | None,
    logs: Path,
    load_cpu: int | None,
    seconds: int,
    warmup: int,
    rounds: int,
    connections: int,
) -> list[CallLoad]:
    """Each load warmed up, then ``rounds`` interleaved rounds of ``seconds``."""
    loads: dict[str, Load] = {
        f"WebSocket, {connections} sessions x {PIPELINE} in flight": lambda s: asyncio.run(
            _ws_calls(app, connections, PIPELINE, s)
        ),
        f"WebSocket, {connections} sessions x 1 in flight": lambda s: asyncio.run(
            _ws_calls(app, connections, 1, s)
        ),
        f"HTTP, aiohttp client, {connections} connections": lambda s: asyncio.run(
            _http_calls(app, connections, s)
        ),
    }
    if wrk_path is not None:
        lua = logs / "live-calls.lua"
        lua.write_text(wrk.script([CALL % 1]))
        loads[f"HTTP, wrk, {connections} connections"] = lambda s: _wrk_calls(
            app, wrk_path, str(lua), s, connections, load_cpu
        )
    for load in loads.values():
        load(warmup)
    runs: dict[str, list[_Run]] = {name: [] for name in loads}
    for _ in range(rounds):
        for name, load in loads.items():
            runs[name].append(load(seconds))
    return [_summary(name, each) for name, each in runs.items()]


def _summary(name: str, runs: list[_Run]) -> CallLoad:
    ours = [r for r in runs if r.client_measured]
    per_call = [r.spent.client_s / r.calls * 1e6 for r in ours]
    shares = [r.spent.client_s / r.spent.wall_s for r in ours]
    waits = [r.spent.client_waited_s / r.spent.wall_s for r in ours]
    return CallLoad(
        name=name,
        calls_per_s=statistics.median(r.calls / r.spent.wall_s for r in runs),
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        server_cpu_us_per_call=statistics.median(r.spent.server_s / r.calls for r in runs) * 1e6,
        server_waited_share=statistics.median(
            r.spent.server_waited_s / r.spent.wall_s for r in runs
        ),
        client_cpu_us_per_call=statistics.median(per_call) if ours else None,
        client_core_share=statistics.median(shares) if ours else None,
        client_waited_share=statistics.median(waits) if ours else None,
    )


Drive = Callable[[float], Awaitable[list[float]]]
"""Calls sent until a deadline (a ``perf_counter`` time); their latencies in ms."""


async def _timed(app: servers.Server, seconds: int, drive: Drive) -> _Run:
    meter = Meter(app.process.pid)
    latencies = sorted(await drive(meter.started + seconds))
    return _Run(
        len(latencies),
        statistics.median(latencies),
        percentile(latencies, 0.99),
        meter.spent(),
    )


async def _ws_calls(app: servers.Server, sessions: int, in_flight: int, seconds: int) -> _Run:
    """``in_flight`` calls outstanding on each session (sockets opened before the clock)."""

    async def drive(ws: Socket, deadline: float) -> list[float]:
        latencies: list[float] = []
        sent: dict[int, float] = {}
        ids = itertools.count()

        async def send() -> None:
            id_ = next(ids)
            sent[id_] = time.perf_counter()
            await ws.send_bytes(CALL % id_)

        for _ in range(in_flight):
            await send()
        while sent:
            message = await ws.receive()
            now = time.perf_counter()
            answer = orjson.loads(message.data)
            if answer.get("result") != 5:
                raise RuntimeError(f"calc.add over WebSocket: {answer}")
            latencies.append((now - sent.pop(answer["id"])) * 1000)
            if now < deadline:
                await send()
        return latencies

    url = app.ws_url
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        sockets = [await http.ws_connect(url, decode_text=False) for _ in range(sessions)]

        async def every(deadline: float) -> list[float]:
            each = await asyncio.gather(*(drive(ws, deadline) for ws in sockets))
            return list(itertools.chain.from_iterable(each))

        run = await _timed(app, seconds, every)
        await asyncio.gather(*(ws.close() for ws in sockets))
    return run


async def _http_calls(app: servers.Server, connections: int, seconds: int) -> _Run:
    """Single ``calc.add`` POSTs, one at a time on each keep-alive connection."""
    body = CALL % 1

    async def drive(http: aiohttp.ClientSession, deadline: float) -> list[float]:
        latencies: list[float] = []
        while (started := time.perf_counter()) < deadline:
            async with http.post(app.url, data=body, headers=JSON) as response:
                answer = orjson.loads(await response.read())
            latencies.append((time.perf_counter() - started) * 1000)
            if answer.get("result") != 5:
                raise RuntimeError(f"calc.add over HTTP: {answer}")
        return latencies

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def every(deadline: float) -> list[float]:
            each = await asyncio.gather(*(drive(http, deadline) for _ in range(connections)))
            return list(itertools.chain.from_iterable(each))

        return await _timed(app, seconds, every)


def _wrk_calls(
    app: servers.Server, wrk_path: str, lua: str, seconds: int, connections: int, cpu: int | None
) -> _Run:
    meter = Meter(app.process.pid)
    load = wrk.run(wrk_path, app.url, lua, seconds, connections, cpu)
    if load.errors:
        raise RuntimeError(f"wrk: {load.errors} failed requests")
    spent = meter.spent(until=meter.started + load.requests / load.requests_per_s)
    return _Run(load.requests, load.p50_ms, load.p99_ms, spent, client_measured=False)
