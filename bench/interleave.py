"""One scenario against several running servers, in interleaved rounds.

Each server is warmed up, then every round runs wrk against each in turn (so all of them see
the same machine), and the figures are medians over the rounds. Server CPU per request comes
from /proc/<pid>/stat (utime + stime) around each measured run, divided by the requests wrk
counted. Any failed request aborts the run, and every body is checked to succeed first (and,
where the server needs a key, to be refused without it).
"""

from __future__ import annotations

import resource
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import scenarios, servers, wrk
from bench.variants import Kind, Running


@dataclass(frozen=True)
class Measured:
    server: str
    kind: Kind
    scenario: str
    connections: int
    calls_per_request: int
    requests_per_s: float
    calls_per_s: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_request: float
    """The server's CPU time per request answered (µs), median over the rounds."""
    rss_mib: float
    """The server's RSS after its runs."""
    client_cpu_share: float
    """wrk's CPU time over the run's length (1.0: a whole core), median: near 1, the client
    and not the server set the pace."""


@dataclass(frozen=True)
class Plan:
    """How wrk drives a scenario: its seconds, rounds and connections."""

    wrk_path: str
    load_cpu: int | None
    seconds: int
    warmup: int
    rounds: int
    connections: int


def measure(
    targets: Sequence[Running],
    scenario_for: Callable[[bool], scenarios.Scenario],
    plan: Plan,
    logs: Path,
) -> list[Measured]:
    """Medians for each server; ``scenario_for(named_params)`` gives each server's bodies."""
    lua: dict[str, Path] = {}
    scenario = scenario_for(False)
    for target in targets:
        own = scenario_for(target.variant.named_params)
        for body in own.bodies:
            check(target, body)
        lua[target.variant.name] = logs / f"{target.variant.slug}.lua"
        lua[target.variant.name].write_text(wrk.script(own.bodies, target.variant.headers))

    def run(target: Running, seconds: int) -> tuple[wrk.Load, float, float]:
        before, client_before = target.server.cpu_s(), _children_cpu_s()
        result = wrk.run(
            plan.wrk_path,
            target.server.url,
            str(lua[target.variant.name]),
            seconds,
            plan.connections,
            plan.load_cpu,
        )
        used = target.server.cpu_s() - before
        client = (_children_cpu_s() - client_before) / seconds
        if result.errors:
            raise RuntimeError(
                f"{target.variant.name}: {result.errors} failed requests in {scenario.name}"
            )
        return result, used / max(1, result.requests) * 1e6, client

    if plan.warmup > 0:
        for target in targets:
            run(target, plan.warmup)
    runs: dict[str, list[tuple[wrk.Load, float, float]]] = {t.variant.name: [] for t in targets}
    for _ in range(plan.rounds):
        for target in targets:
            runs[target.variant.name].append(run(target, plan.seconds))
    measured = []
    for target in targets:
        done = runs[target.variant.name]
        rps = statistics.median(result.requests_per_s for result, _, _ in done)
        measured.append(
            Measured(
                server=target.variant.name,
                kind=target.variant.kind,
                scenario=scenario.name,
                connections=plan.connections,
                calls_per_request=scenario.calls_per_request,
                requests_per_s=rps,
                calls_per_s=rps * scenario.calls_per_request,
                p50_ms=statistics.median(result.p50_ms for result, _, _ in done),
                p99_ms=statistics.median(result.p99_ms for result, _, _ in done),
                cpu_us_per_request=statistics.median(cpu for _, cpu, _ in done),
                rss_mib=target.server.rss_mib(),
                client_cpu_share=statistics.median(client for _, _, client in done),
            )
        )
    return measured


def check(target: Running, body: bytes) -> None:
    """The body must succeed on this server (with its headers): a result for every call."""
    answer: Any = servers.post(target.server.url, body, target.variant.headers)
    if target.variant.kind == "ceiling":
        return  # its answer is fixed: it only parses
    failed = [item for item in _items(answer) if "result" not in item]
    if failed:
        raise RuntimeError(f"{target.variant.name} refused the bench's body: {failed[0]}")
    if target.variant.headers:  # the key must be what lets it through: checked on every call
        anonymous = _items(servers.post(target.server.url, body))
        if any("error" not in item for item in anonymous):
            raise RuntimeError(f"{target.variant.name} answered calls made without its key")


def _children_cpu_s() -> float:
    """CPU seconds of the bench's finished children so far: each wrk run, once it returns."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _items(answer: Any) -> list[Any]:
    return answer if isinstance(answer, list) else [answer]
