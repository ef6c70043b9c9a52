"""Issue 19's targets, judged from one run: each is met, or the distance to it.

All are measured with every layer on (`variants.ALL_LAYERS`) against the ceiling and the
peers of the same interleaved run; the distance is the change in the measured figure that
would meet the target ("+45% req/s needed").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench.interleave import Measured
from bench.startup import Startup
from bench.variants import ALL_LAYERS, CEILING

SINGLE_VS_CEILING = 0.90
CPU_VS_CEILING = 1.25
BATCH_CALLS_PER_S = 500_000
P99_VS_CEILING = 1.2
VS_BEST_PEER = 1.5
RSS_MIB = 100
STARTUP_S = 0.5


@dataclass(frozen=True)
class Target:
    target: str
    measured: str
    met: bool | None
    """None: not measured in this run."""
    distance: str
    """What would meet it, when not met."""


def _at_least(target: str, measured: str, value: float, goal: float, what: str) -> Target:
    met = value >= goal
    return Target(target, measured, met, "" if met else f"{goal / value - 1:+.0%} {what} needed")


def _at_most(target: str, measured: str, value: float, goal: float, what: str) -> Target:
    met = value <= goal
    return Target(target, measured, met, "" if met else f"{goal / value - 1:+.0%} {what} needed")


def _find(rows: Sequence[Measured], server: str, scenario: str) -> Measured:
    return next(row for row in rows if row.server == server and row.scenario == scenario)


def evaluate(
    rows: Sequence[Measured], single: str, batch: str, startup: Startup | None
) -> list[Target]:
    """The targets from ``rows`` (scenarios named ``single`` and ``batch``) and ``startup``."""
    ours, ceiling = _find(rows, ALL_LAYERS, single), _find(rows, CEILING, single)
    batched = _find(rows, ALL_LAYERS, batch)
    share = ours.requests_per_s / ceiling.requests_per_s
    cpu = ours.cpu_us_per_request / ceiling.cpu_us_per_request
    p99 = ours.p99_ms / ceiling.p99_ms
    targets = [
        _at_least(
            f"single `calc.add` ≥ {SINGLE_VS_CEILING:.2f} of the ceiling",
            f"{share:.2f} ({ours.requests_per_s:,.0f} vs {ceiling.requests_per_s:,.0f} req/s)",
            share,
            SINGLE_VS_CEILING,
            "req/s",
        ),
        _at_most(
            f"server CPU per request ≤ {CPU_VS_CEILING}× the ceiling's",
            f"{cpu:.2f}× ({ours.cpu_us_per_request:.1f} vs {ceiling.cpu_us_per_request:.1f} µs)",
            cpu,
            CPU_VS_CEILING,
            "CPU per request",
        ),
        _at_least(
            f"batch of 100 ≥ {BATCH_CALLS_PER_S:,} calls/s",
            f"{batched.calls_per_s:,.0f} calls/s",
            batched.calls_per_s,
            BATCH_CALLS_PER_S,
            "calls/s",
        ),
        _at_most(
            f"p99 at {ours.connections} connections ≤ {P99_VS_CEILING}× the ceiling's",
            f"{p99:.2f}× ({ours.p99_ms:.2f} vs {ceiling.p99_ms:.2f} ms)",
            p99,
            P99_VS_CEILING,
            "p99",
        ),
        _peers(rows, ours, single),
    ]
    if startup is None:
        return targets
    return [
        *targets,
        _at_most(
            f"RSS < {RSS_MIB} MiB with weather loaded",
            f"{startup.worst_rss_mib:.0f} MiB (largest of {len(startup.rss_mib)})",
            startup.worst_rss_mib,
            RSS_MIB,
            "RSS",
        ),
        _at_most(
            f"start-up < {STARTUP_S} s to `/readyz` 200",
            f"{startup.best_ready_s:.2f} s (best of {len(startup.ready_s)} fresh processes)",
            startup.best_ready_s,
            STARTUP_S,
            "start-up time",
        ),
    ]


def _peers(rows: Sequence[Measured], ours: Measured, single: str) -> Target:
    target = f"≥ {VS_BEST_PEER}× the best peer on single calls"
    peers = [row for row in rows if row.kind == "peer" and row.scenario == single]
    if not peers:
        return Target(target, "not measured", None, "run `make bench PEERS=1`")
    best = max(peers, key=lambda row: row.requests_per_s)
    lead = ours.requests_per_s / best.requests_per_s
    return _at_least(
        target,
        f"{lead:.2f}× ({best.server}: {best.requests_per_s:,.0f} req/s)",
        lead,
        VS_BEST_PEER,
        "req/s",
    )
