"""``python -m bench`` (``make bench``): rpc-hub against a bare-aiohttp ceiling, in one run.

Each server runs as its own process pinned to one core; wrk (and everything else the bench
starts) runs on the other. Every HTTP scenario is warmed up, then measured in interleaved
rounds (ceiling, rpc-hub, ceiling, …) so both see the same machine; the table reports
medians. Tests never time anything: this is where speed is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
from dataclasses import asdict
from pathlib import Path

from bench import (
    hostile,
    layers,
    live,
    memory,
    observe,
    processes,
    report,
    scenarios,
    servers,
    stores,
    taskqueue,
    wrk,
)
from bench.report import Row

RESULTS = Path(__file__).parent / "results" / "latest.json"
LIVE_RESULTS = RESULTS.with_name("live.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=int, default=5, help="seconds of each measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of each warm-up run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per scenario")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--tasks", type=int, default=2000, help="tasks in the queue scenario")
    parser.add_argument("--workers", type=int, default=4, help="worker processes for the queue")
    parser.add_argument(
        "--live-subscribers", type=int, default=1000, help="WebSocket subscribers for fan-out"
    )
    parser.add_argument(
        "--only",
        choices=["live", "observe"],
        help="run only this part (live: saved to results/live.json unless --output says "
        "otherwise; observe: printed)",
    )
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)

    wrk_path = wrk.ensure_wrk()
    server_cpu, load_cpu = (0, 1) if (os.cpu_count() or 1) >= 2 else (None, None)
    if load_cpu is not None:
        os.sched_setaffinity(0, {load_cpu})  # keep this process off the servers' core
    settings = {
        "seconds": args.seconds,
        "warmup": args.warmup,
        "rounds": args.rounds,
        "connections": args.connections,
        "server_cpu": server_cpu,
        "load_cpu": load_cpu,
        "live_subscribers": args.live_subscribers,
    }
    if args.only == "live":
        return _only_live(wrk_path, server_cpu, load_cpu, settings, args)
    cpus = (server_cpu or 0, load_cpu or 0)
    if args.only == "observe":
        with tempfile.TemporaryDirectory(prefix="rpc-hub-bench-") as scratch:
            alone = observe.run(
                wrk_path, Path(scratch), args.seconds, args.rounds, args.connections, cpus
            )
        print("\n".join(observe.lines(alone)))
        return 0
    costs = layers.measure()  # in process, before the servers load the machine
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="rpc-hub-bench-") as scratch:
        logs = Path(scratch)
        with (
            servers.running(
                "ceiling",
                servers.ceiling_command(),
                server_cpu,
                logs / "ceiling.log",
                servers.CEILING_READY,
            ) as ceiling,
            servers.running(
                "rpc-hub",
                servers.app_command(*scenarios.APP_FLAGS),
                server_cpu,
                logs / "app.log",
                servers.APP_READY,
            ) as app,
        ):
            loads = [scenarios.single(), scenarios.batch(), asyncio.run(scenarios.mix(app.url))]
            for scenario in loads:
                rows.append(_measure(scenario, ceiling, app, wrk_path, logs, load_cpu, args))
        with servers.running(
            "rpc-hub (queue)",
            servers.app_command(*scenarios.THROUGHPUT_FLAGS),
            server_cpu,
            logs / "queue.log",
            servers.APP_READY,
        ) as queue_app:
            run = taskqueue.run(queue_app.url, args.tasks, args.workers, load_cpu, logs)
            rows.append(
                Row(
                    scenario=f"task queue, {args.workers} workers: burst tasks/s, paced latency",
                    requests_per_s=None,
                    calls_per_s=run.tasks_per_s,
                    p50_ms=run.p50_ms,
                    p99_ms=run.p99_ms,
                    server_rss_mib=queue_app.rss_mib(),
                    ceiling_requests_per_s=None,
                    vs_ceiling=None,
                )
            )
        observed = observe.run(wrk_path, logs, args.seconds, args.rounds, args.connections, cpus)
        measured = _live(wrk_path, logs, server_cpu, load_cpu, args)
        rows.extend(live.rows(measured))
        flood = hostile.run(wrk_path, logs, server_cpu, load_cpu, args.seconds)
        filled = memory.run(logs, server_cpu)
        spread = processes.run(wrk_path, logs, args.seconds, args.connections)
    backends = stores.measure(cpu=load_cpu)
    report.show(rows, settings)
    for cost in costs:
        print(f"{cost.step}: {cost.ns:,.0f} ns per {cost.per} (in process)")
    print("\n".join(observe.lines(observed)))
    print(
        f"hostile: honest caller p50 {flood.honest_p50_ms:.2f} ms, p99 {flood.honest_p99_ms:.2f}"
        f" ms, {flood.honest_failures} failed; flood {flood.hostile_requests_per_s:,.0f} req/s,"
        f" {flood.shed_share:.0%} shed; server RSS {flood.rss_mib:.0f} MiB"
    )
    phases = ", ".join(f"{phase} {mib:.0f} MiB" for phase, mib in filled.after_mib.items())
    print(f"memory, every cap filled: idle {filled.idle_mib:.0f} MiB, then {phases}")
    for op in backends:
        trips = "" if op.round_trips is None else f", {op.round_trips:.2f} Redis round trips"
        print(
            f"{op.operation} on {op.backend}: {op.latency_us:,.0f} µs each,"
            f" {op.per_s:,.0f}/s at {stores.CONCURRENCY} at once{trips}"
        )
    for spread_run in spread:
        print(
            f"--processes {spread_run.processes} on {spread_run.store}:"
            f" {spread_run.requests_per_s:,.0f}"
            f" calls/s, p99 {spread_run.p99_ms:.2f} ms; server CPU"
            f" {spread_run.server_cpu_us_per_call:.0f} µs per call, Redis"
            f" {spread_run.redis_cpu_us_per_call:.0f} µs"
        )
    print("\n".join(live.lines(measured)))
    extra = {
        "live": asdict(measured),
        "hostile": asdict(flood),
        "memory": asdict(filled),
        "stores": [asdict(op) for op in backends],
        "processes": [asdict(spread_run) for spread_run in spread],
    }
    report.save(rows, settings, args.output or RESULTS, costs, extra)
    return 0


def _only_live(
    wrk_path: str,
    server_cpu: int | None,
    load_cpu: int | None,
    settings: dict[str, object],
    args: argparse.Namespace,
) -> int:
    with tempfile.TemporaryDirectory(prefix="rpc-hub-bench-") as scratch:
        measured = _live(wrk_path, Path(scratch), server_cpu, load_cpu, args)
    rows = live.rows(measured)
    report.show(rows, settings)
    print("\n".join(live.lines(measured)))
    report.save(rows, settings, args.output or LIVE_RESULTS, (), {"live": asdict(measured)})
    return 0


def _live(
    wrk_path: str,
    logs: Path,
    server_cpu: int | None,
    load_cpu: int | None,
    args: argparse.Namespace,
) -> live.LiveRun:
    return live.run(
        wrk_path,
        logs,
        server_cpu,
        load_cpu,
        args.live_subscribers,
        args.seconds,
        args.warmup,
        args.rounds,
        args.connections,
    )


def _measure(
    scenario: scenarios.Scenario,
    ceiling: servers.Server,
    app: servers.Server,
    wrk_path: str,
    logs: Path,
    load_cpu: int | None,
    args: argparse.Namespace,
) -> Row:
    lua = logs / "load.lua"
    lua.write_text(wrk.script(scenario.bodies))

    def load(server: servers.Server, seconds: int) -> wrk.Load:
        result = wrk.run(wrk_path, server.url, str(lua), seconds, args.connections, load_cpu)
        if result.errors:
            raise RuntimeError(f"{server.name}: {result.errors} failed requests in {scenario.name}")
        return result

    for server in (ceiling, app):
        load(server, args.warmup)
    runs: dict[str, list[wrk.Load]] = {"ceiling": [], "rpc-hub": []}
    for _ in range(args.rounds):
        for server in (ceiling, app):
            runs[server.name].append(load(server, args.seconds))
    ours, theirs = runs["rpc-hub"], runs["ceiling"]
    rps = statistics.median(r.requests_per_s for r in ours)
    ceiling_rps = statistics.median(r.requests_per_s for r in theirs)
    return Row(
        scenario=scenario.name,
        requests_per_s=rps,
        calls_per_s=rps * scenario.calls_per_request,
        p50_ms=statistics.median(r.p50_ms for r in ours),
        p99_ms=statistics.median(r.p99_ms for r in ours),
        server_rss_mib=app.rss_mib(),
        ceiling_requests_per_s=ceiling_rps,
        vs_ceiling=rps / ceiling_rps,
    )


if __name__ == "__main__":
    raise SystemExit(main())
