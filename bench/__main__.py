"""``python -m bench`` (``make bench``): rpc-hub against a bare-aiohttp ceiling, in one run.

Each server runs as its own process pinned to one core; wrk (and everything else the bench
starts) runs on the other. Every HTTP scenario is warmed up, then measured in interleaved
rounds (ceiling, rpc-hub, ceiling, …) so all see the same machine; the table reports
medians. Single calls and batches also run against rpc-hub with every layer on and, with
``--peers``, other JSON-RPC servers, and are judged against issue 19's targets. Tests never
time anything: this is where speed is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path

from bench import (
    hostile,
    interleave,
    layers,
    live,
    memory,
    observe,
    peers,
    processes,
    profile,
    readme,
    report,
    revisions,
    scale,
    scenarios,
    servers,
    startup,
    stores,
    targets,
    taskqueue,
    variants,
    wrk,
)
from bench.interleave import Measured
from bench.report import Row

RESULTS = Path(__file__).parent / "results" / "latest.json"
LIVE_RESULTS = RESULTS.with_name("live.json")
TARGETS_RESULTS = RESULTS.with_name("targets.json")
SCALE_RESULTS = RESULTS.with_name("scale.json")
REVISIONS_RESULTS = RESULTS.with_name("revisions.json")
SINGLE, BATCH = scenarios.single().name, scenarios.batch().name


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
        choices=["live", "observe", "targets", "scale", "revisions"],
        help="run only this part (live, targets, scale: saved to results/<part>.json unless "
        "--output says otherwise; observe: printed). targets: single calls and batches of "
        "100 on every server, RSS and start-up, judged against issue 19's targets; scale: "
        "1 to 256 connections, batches of 1 to 1,000, and --processes 2 beside 1 on Redis",
    )
    parser.add_argument(
        "--peers",
        action="store_true",
        help="also measure jsonrpcserver, aiohttp-rpc and fastapi-jsonrpc (installed in "
        "bench/.peers-venv on first use)",
    )
    parser.add_argument(
        "--revisions",
        nargs="+",
        default=["HEAD"],
        metavar="REV[:FLAGS]",
        help="with --only revisions: the git revisions to compare, each every layer on, with "
        "optional comma-separated flags after a colon (HEAD:--loop=asyncio)",
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
        "loop": variants.LOOP,
        "peers": args.peers,
        "all_layers": variants.ALL_LAYERS_SETTINGS,
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
    plan = interleave.Plan(
        wrk_path, load_cpu, args.seconds, args.warmup, args.rounds, args.connections
    )
    if args.only == "scale":
        return _only_scale(plan, server_cpu, settings, args)
    if args.only == "revisions":
        return _only_revisions(plan, server_cpu, settings, args)
    others = peers.all_variants(peers.ensure_venv()) if args.peers else []
    if args.only == "targets":
        return _only_targets(plan, others, server_cpu, settings, args)
    costs = layers.measure()  # in process, before the servers load the machine
    rows: list[Row] = []
    with _scratch() as (logs, keys):
        compared, mixed = _compare(plan, keys, others, server_cpu, logs, with_mix=True)
        rows += _rows(compared, mixed)
        booted = startup.run(variants.all_layers(keys), server_cpu, logs)
        profiled = _profiles(plan, keys, server_cpu, logs)
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
        spread = processes.run(wrk_path, logs, args.seconds, args.connections, keys)
        scaled = scale.run(plan, keys, server_cpu, logs)
    backends = stores.measure(cpu=load_cpu)
    goals = targets.evaluate(compared, SINGLE, BATCH, booted)
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
        **_targets_extra(compared, goals, booted, profiled),
        "scale": [asdict(point) for point in scaled],
    }
    document = report.save(rows, settings, args.output or RESULTS, costs, extra)
    _publish(document, args)
    return 0


def _compare(
    plan: interleave.Plan,
    keys: variants.Keys,
    others: list[variants.Variant],
    server_cpu: int | None,
    logs: Path,
    with_mix: bool,
) -> tuple[list[Measured], list[Measured]]:
    """Single calls and batches of 100 on every server; the mix on the ceiling and rpc-hub's
    defaults when asked."""
    every = [variants.ceiling(), variants.defaults(), variants.all_layers(keys), *others]
    with variants.running(every, server_cpu, logs) as servers_up:
        compared = _single_and_batch(servers_up, plan, logs)
        if not with_mix:
            return compared, []
        ceiling, ours = servers_up[0], servers_up[1]  # the mix runs on the defaults
        mix = asyncio.run(scenarios.mix(ours.server.url))
        mixed = interleave.measure([ceiling, ours], lambda _: mix, plan, logs)
    return compared, mixed


def _single_and_batch(
    servers_up: list[variants.Running], plan: interleave.Plan, logs: Path
) -> list[Measured]:
    """Single calls, then batches of 100, on every running server."""
    return [
        *interleave.measure(servers_up, scenarios.single, plan, logs),
        *interleave.measure(servers_up, functools.partial(scenarios.batch, 100), plan, logs),
    ]


def _rows(compared: list[Measured], mixed: list[Measured]) -> list[Row]:
    """The main table: rpc-hub's defaults on each scenario, then with every layer on."""
    ceiling = {m.scenario: m for m in [*compared, *mixed] if m.kind == "ceiling"}
    ours = [m for m in [*compared, *mixed] if m.server == variants.DEFAULTS]
    ours += [m for m in compared if m.server == variants.ALL_LAYERS]
    return [
        Row(
            scenario=m.scenario if m.server == variants.DEFAULTS else f"{m.scenario}, all layers",
            requests_per_s=m.requests_per_s,
            calls_per_s=m.calls_per_s,
            p50_ms=m.p50_ms,
            p99_ms=m.p99_ms,
            server_rss_mib=m.rss_mib,
            ceiling_requests_per_s=ceiling[m.scenario].requests_per_s,
            vs_ceiling=m.requests_per_s / ceiling[m.scenario].requests_per_s,
        )
        for m in ours
    ]


def _profiles(
    plan: interleave.Plan, keys: variants.Keys, server_cpu: int | None, logs: Path
) -> list[profile.Profiled]:
    loads = (scenarios.single(), scenarios.batch(100))
    return [profile.run(plan, keys, server_cpu, logs, scenario) for scenario in loads]


def _targets_extra(
    compared: list[Measured],
    goals: list[targets.Target],
    booted: startup.Startup,
    profiled: list[profile.Profiled],
) -> dict[str, object]:
    return {
        "comparison": [asdict(m) for m in compared],
        "targets": [asdict(goal) for goal in goals],
        "startup": asdict(booted),
        "profile": [asdict(one) for one in profiled],
    }


def _only_targets(
    plan: interleave.Plan,
    others: list[variants.Variant],
    server_cpu: int | None,
    settings: dict[str, object],
    args: argparse.Namespace,
) -> int:
    costs = layers.measure()  # in process, before the servers load the machine
    with _scratch() as (logs, keys):
        compared, _ = _compare(plan, keys, others, server_cpu, logs, with_mix=False)
        booted = startup.run(variants.all_layers(keys), server_cpu, logs)
        profiled = _profiles(plan, keys, server_cpu, logs)
    goals = targets.evaluate(compared, SINGLE, BATCH, booted)
    extra = _targets_extra(compared, goals, booted, profiled)
    return _save(settings, args, TARGETS_RESULTS, extra, costs)


def _only_scale(
    plan: interleave.Plan,
    server_cpu: int | None,
    settings: dict[str, object],
    args: argparse.Namespace,
) -> int:
    with _scratch() as (logs, keys):
        scaled = scale.run(plan, keys, server_cpu, logs)
        spread = processes.run(plan.wrk_path, logs, args.seconds, args.connections, keys)
    extra = {
        "scale": [asdict(point) for point in scaled],
        "processes": [asdict(spread_run) for spread_run in spread],
    }
    return _save(settings, args, SCALE_RESULTS, extra)


def _only_revisions(
    plan: interleave.Plan,
    server_cpu: int | None,
    settings: dict[str, object],
    args: argparse.Namespace,
) -> int:
    with _scratch() as (logs, keys):
        every = [variants.ceiling(), *revisions.variants(args.revisions, keys, logs)]
        with variants.running(every, server_cpu, logs) as servers_up:
            compared = _single_and_batch(servers_up, plan, logs)
    extra = {"revisions": [asdict(m) for m in compared]}
    return _save(settings, args, REVISIONS_RESULTS, extra)


@contextlib.contextmanager
def _scratch() -> Iterator[tuple[Path, variants.Keys]]:
    """A directory for one part's logs, and a keys file with the bench's key in it."""
    with tempfile.TemporaryDirectory(prefix="rpc-hub-bench-") as scratch:
        logs = Path(scratch)
        yield logs, variants.new_keys(logs)


def _save(
    settings: dict[str, object],
    args: argparse.Namespace,
    default: Path,
    extra: Mapping[str, object],
    costs: Sequence[layers.Cost] = (),
) -> int:
    """Save one part's results (to ``--output``, else ``default``) and publish them."""
    _publish(report.save([], settings, args.output or default, costs, extra), args)
    return 0


def _publish(document: dict[str, object], args: argparse.Namespace) -> None:
    """Print the generated sections; write them into bench/README.md after a full-length run."""
    readme.show(document)
    if args.seconds >= 5 and args.rounds >= 3:
        written = readme.write(document)
        print(f"bench/README.md: wrote the {' and '.join(written)} section(s)")
    else:
        print("a short run: bench/README.md left as it was (python -m bench.readme writes it)")


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


if __name__ == "__main__":
    raise SystemExit(main())
