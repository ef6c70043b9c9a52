"""Live updates (issue 16): fan-out to WebSocket subscribers, the server memory an idle
subscriber holds, and calls over a WebSocket beside HTTP (``bench.calls``).

Real server processes on the servers' core; every client runs in this process, on one event
loop on the load core, so a figure that needs more than that core measures the client too:
each side's CPU (and the server's wait for its core) is read around each run to tell.

- **Memory:** the server's RSS with no subscriber (after a few came and went), then with
  ``subscribers`` idle WebSockets, each holding one ``tasks.subscribe``.
- **Fan-out:** those subscribers all follow the anonymous caller's tasks topic; each
  ``tasks.submit`` over HTTP publishes one event there, the task's type naming the publish.
  Latency runs from just before the POST is sent to a subscriber's receipt, over every
  delivery of events published at ``PACED_PER_S``; the delivery rate comes from bursts of
  ``BURST`` events (one batch of submits), up to the last subscriber's receipt.
- Both again on a fresh server with permessage-deflate, which browsers always offer (and
  aiohttp's client only when asked): the server then compresses each notification for each
  subscriber, and keeps a compressor per socket.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import orjson

from bench import calls, scenarios, servers
from bench.calls import CallLoad
from bench.meter import Meter, Spent, percentile
from bench.report import Row
from bench.subscribers import Subscribers

PACED_PER_S = 10
"""Events published per second for the latency figures: modest, so no queue builds up."""
BURST = 100
"""Events published at once (a batch of ``tasks.submit``) for the delivery rate."""
WARM_SUBSCRIBERS = 10


@dataclass(frozen=True)
class IdleMemory:
    subscribers: int
    deflate: bool
    rss_before_mib: float
    rss_after_mib: float
    kib_per_subscriber: float


@dataclass(frozen=True)
class FanOut:
    subscribers: int
    deflate: bool
    events: int
    """Paced events; every subscriber got each exactly once."""
    publish_per_s: float
    p50_ms: float
    p99_ms: float
    """Over every delivery of the paced events."""
    first_p50_ms: float
    last_p50_ms: float
    """Per paced event, its first and its last subscriber's receipt: the medians."""
    deliveries_per_s: float
    """Bursts: notifications received per second, median of the rounds."""
    server_cpu_us_per_delivery: float
    client_cpu_us_per_delivery: float
    server_core_share: float
    server_waited_share: float
    client_core_share: float
    client_waited_share: float
    """Of the bursts' wall time: a side that ran near 100% of it ran out of core."""


@dataclass(frozen=True)
class LiveRun:
    memory: list[IdleMemory]
    fan_out: list[FanOut]
    calls: list[CallLoad]
    calls_rss_mib: float


def run(
    wrk_path: str | None,
    logs: Path,
    server_cpu: int | None,
    load_cpu: int | None,
    subscribers: int,
    seconds: int,
    warmup: int,
    rounds: int,
    connections: int,
) -> LiveRun:
    """Every live figure: plain sockets and the calls on one fresh server, deflate on another."""
    flags = (*scenarios.THROUGHPUT_FLAGS, "--max-streams", str(subscribers + connections + 64))
    paced_s = seconds * rounds

    def server(kind: str) -> AbstractContextManager[servers.Server]:
        command, log = servers.app_command(*flags), logs / f"live-{kind}.log"
        return servers.running(f"live {kind}", command, server_cpu, log, servers.APP_READY)

    with server("plain") as app:
        plain = asyncio.run(_subscribed(app, subscribers, paced_s, rounds, deflate=False))
        loads = calls.measure(app, wrk_path, logs, load_cpu, seconds, warmup, rounds, connections)
        rss = app.rss_mib()
    with server("deflate") as app:
        deflated = asyncio.run(_subscribed(app, subscribers, paced_s, rounds, deflate=True))
    return LiveRun([plain[0], deflated[0]], [plain[1], deflated[1]], loads, rss)


async def _subscribed(
    app: servers.Server, count: int, paced_s: int, rounds: int, deflate: bool
) -> tuple[IdleMemory, FanOut]:
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as sockets,
        aiohttp.ClientSession() as http,
    ):
        warm = Subscribers()  # the first sessions load code and grow pools: not per subscriber
        await warm.open(sockets, app.ws_url, WARM_SUBSCRIBERS, deflate)
        await warm.close()
        await asyncio.sleep(1)  # the server ends the closed sessions
        before = app.rss_mib()
        subscribers = Subscribers()
        await subscribers.open(sockets, app.ws_url, count, deflate)
        await asyncio.sleep(1)
        after = app.rss_mib()
        memory = IdleMemory(count, deflate, before, after, (after - before) * 1024 / count)
        await _burst(http, app, subscribers, "warm")
        fan_out = await _fan_out(http, app, subscribers, paced_s * PACED_PER_S, rounds, deflate)
        await subscribers.close()
    return memory, fan_out


async def _submit(http: aiohttp.ClientSession, url: str, types: list[str]) -> None:
    """One POST of a ``tasks.submit`` per type (a batch if more than one), checked."""
    batch = [
        {"jsonrpc": "2.0", "method": "tasks.submit", "params": {"type": t}, "id": n}
        for n, t in enumerate(types)
    ]
    body = orjson.dumps(batch if len(batch) > 1 else batch[0])
    async with http.post(url, data=body, headers=calls.JSON) as response:
        answer = orjson.loads(await response.read())
    failed = [a for a in (answer if isinstance(answer, list) else [answer]) if "error" in a]
    if failed:
        raise RuntimeError(f"tasks.submit failed: {failed[0]}")


async def _fan_out(
    http: aiohttp.ClientSession,
    app: servers.Server,
    subscribers: Subscribers,
    events: int,
    rounds: int,
    deflate: bool,
) -> FanOut:
    subscribers.expect(events)
    sent: dict[str, float] = {}
    loop = asyncio.get_running_loop()
    start = loop.time()
    for n in range(events):
        await asyncio.sleep(max(0.0, start + n / PACED_PER_S - loop.time()))
        sent[f"paced-{n}"] = time.perf_counter()
        await _submit(http, app.url, [f"paced-{n}"])
    arrivals = await subscribers.received()
    latencies = sorted((at - sent[type_]) * 1000 for at, type_ in arrivals)
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    for at, type_ in arrivals:
        first[type_] = min(first.get(type_, at), at)
        last[type_] = max(last.get(type_, at), at)
    bursts = [await _burst(http, app, subscribers, f"burst{r}") for r in range(rounds)]
    deliveries = BURST * len(subscribers.sockets)

    return FanOut(
        subscribers=len(subscribers.sockets),
        deflate=deflate,
        events=events,
        publish_per_s=PACED_PER_S,
        p50_ms=statistics.median(latencies),
        p99_ms=percentile(latencies, 0.99),
        first_p50_ms=statistics.median((first[t] - sent[t]) * 1000 for t in sent),
        last_p50_ms=statistics.median((last[t] - sent[t]) * 1000 for t in sent),
        deliveries_per_s=statistics.median(deliveries / b.wall_s for b in bursts),
        server_cpu_us_per_delivery=statistics.median(b.server_s for b in bursts) / deliveries * 1e6,
        client_cpu_us_per_delivery=statistics.median(b.client_s for b in bursts) / deliveries * 1e6,
        server_core_share=statistics.median(b.server_s / b.wall_s for b in bursts),
        server_waited_share=statistics.median(b.server_waited_s / b.wall_s for b in bursts),
        client_core_share=statistics.median(b.client_s / b.wall_s for b in bursts),
        client_waited_share=statistics.median(b.client_waited_s / b.wall_s for b in bursts),
    )


async def _burst(
    http: aiohttp.ClientSession, app: servers.Server, subscribers: Subscribers, name: str
) -> Spent:
    """``BURST`` events at once; from the POST's send to the last subscriber's receipt."""
    subscribers.expect(BURST)
    types = [f"{name}-{n}" for n in range(BURST)]
    meter = Meter(app.process.pid)
    await _submit(http, app.url, types)
    await subscribers.wait()
    spent = meter.spent(until=subscribers.arrivals[-1][0])
    await subscribers.received()  # checked after the clock: parsing is not receiving
    return spent


def rows(measured: LiveRun) -> list[Row]:
    """The live figures as rows of the bench's table."""
    out = [
        Row(
            scenario=f"fan-out to {fan_out.subscribers} WS subscribers{_deflate(fan_out)}:"
            f" deliveries/s (bursts of {BURST}), latency ({fan_out.publish_per_s:.0f} events/s)",
            requests_per_s=None,
            calls_per_s=fan_out.deliveries_per_s,
            p50_ms=fan_out.p50_ms,
            p99_ms=fan_out.p99_ms,
            server_rss_mib=idle.rss_after_mib,
            ceiling_requests_per_s=None,
            vs_ceiling=None,
        )
        for fan_out, idle in zip(measured.fan_out, measured.memory, strict=True)
    ]
    out.extend(
        Row(
            scenario=f"calc.add, {load.name}",
            requests_per_s=load.calls_per_s,
            calls_per_s=load.calls_per_s,
            p50_ms=load.p50_ms,
            p99_ms=load.p99_ms,
            server_rss_mib=measured.calls_rss_mib,
            ceiling_requests_per_s=None,
            vs_ceiling=None,
        )
        for load in measured.calls
    )
    return out


def lines(measured: LiveRun) -> list[str]:
    """What the table does not show: memory, and where each side's time went."""
    out = [
        f"live{_deflate(idle)}: {idle.kib_per_subscriber:.1f} KiB per idle subscriber (server"
        f" RSS {idle.rss_before_mib:.1f} MiB with none, {idle.rss_after_mib:.1f} MiB with"
        f" {idle.subscribers})"
        for idle in measured.memory
    ]
    out.extend(
        f"live{_deflate(f)}: per event, first receipt p50 {f.first_p50_ms:.2f} ms, last"
        f" {f.last_p50_ms:.2f} ms; bursts: server {f.server_cpu_us_per_delivery:.1f} µs CPU"
        f" per delivery (ran {f.server_core_share:.0%} of the time, waited for its core"
        f" {f.server_waited_share:.0%}), client {f.client_cpu_us_per_delivery:.1f} µs"
        f" (ran {f.client_core_share:.0%}, waited {f.client_waited_share:.0%})"
        for f in measured.fan_out
    )
    for load in measured.calls:
        client = ""
        if load.client_cpu_us_per_call is not None:
            client = (
                f"; client {load.client_cpu_us_per_call:.1f} µs (ran {load.client_core_share:.0%},"
                f" waited {load.client_waited_share:.0%})"
            )
        out.append(
            f"live, calc.add {load.name}: server {load.server_cpu_us_per_call:.1f} µs CPU per"
            f" call (waited for its core {load.server_waited_share:.0%}){client}"
        )
    return out


def _deflate(measured: IdleMemory | FanOut) -> str:
    return ", deflate" if measured.deflate else ""
