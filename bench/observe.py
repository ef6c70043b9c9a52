"""What metrics and traces cost end to end (``make bench``, or ``--only observe``).

Three servers, each pinned to the server core in turn: metrics off, metrics on (the
default), and metrics with tracing (the SDK's console exporter, writing to the server's
log: an upper bound, since an OTLP exporter batches over the network instead). Each takes
wrk's single calls and batches of 100 in interleaved rounds; the figures are medians, with
server CPU per request from /proc.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench import scenarios, servers, wrk
from bench.servers import Server, cpu_s

VARIANTS: dict[str, dict[str, str]] = {
    "metrics off": {"RPC_METRICS": "false"},
    "metrics on (default)": {},
    "metrics and tracing": {"OTEL_TRACES_EXPORTER": "console"},
}


@dataclass(frozen=True)
class Cost:
    variant: str
    scenario: str
    requests_per_s: float
    p99_ms: float
    cpu_us_per_request: float


def run(
    wrk_path: str, logs: Path, seconds: int, rounds: int, connections: int, cpus: tuple[int, int]
) -> list[Cost]:
    server_cpu, load_cpu = cpus
    lua = logs / "observe.lua"
    loads = [scenarios.single(), scenarios.batch()]
    measured: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    for _ in range(rounds):
        for variant, env in VARIANTS.items():
            with _server(variant, env, server_cpu, logs) as server:
                for scenario in loads:
                    lua.write_text(wrk.script(scenario.bodies))
                    wrk.run(wrk_path, server.url, str(lua), 1, connections, load_cpu)  # warm
                    before = cpu_s([server.process.pid])
                    load = wrk.run(wrk_path, server.url, str(lua), seconds, connections, load_cpu)
                    used = cpu_s([server.process.pid]) - before
                    served = max(1, load.requests_per_s * seconds)
                    measured.setdefault((variant, scenario.name), []).append(
                        (load.requests_per_s, load.p99_ms, used / served * 1e6)
                    )
    return [
        Cost(
            variant,
            name,
            statistics.median(r[0] for r in runs),
            statistics.median(r[1] for r in runs),
            statistics.median(r[2] for r in runs),
        )
        for (variant, name), runs in measured.items()
    ]


@contextlib.contextmanager
def _server(variant: str, env: dict[str, str], cpu: int | None, logs: Path) -> Iterator[Server]:
    """The app with ``env`` added to its environment (the child inherits it at start)."""
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        slug = variant.split()[1]
        with servers.running(
            variant,
            servers.app_command(*scenarios.THROUGHPUT_FLAGS),
            cpu,
            logs / f"observe-{slug}.log",
            servers.APP_READY,
        ) as server:
            yield server
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def lines(costs: list[Cost]) -> list[str]:
    out = []
    for cost in costs:
        out.append(
            f"{cost.scenario}, {cost.variant}: {cost.requests_per_s:,.0f} req/s,"
            f" p99 {cost.p99_ms:.2f} ms, {cost.cpu_us_per_request:.1f} µs server CPU per request"
        )
    return out


if __name__ == "__main__":  # python -m bench.observe: this part alone
    os.sched_setaffinity(0, {1})
    with tempfile.TemporaryDirectory() as scratch:
        print("\n".join(lines(run(wrk.ensure_wrk(), Path(scratch), 5, 3, 32, (0, 1)))))
