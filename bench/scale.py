"""How throughput and p99 move with load (issue 19's scale table): single `calc.add` at 1 to
256 connections, and batches of 1 to 1,000 at the bench's connection count, for rpc-hub with
every layer on beside the ceiling, interleaved at each point (``--only scale``, and part of
``make bench``).
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

from bench import scenarios, variants
from bench.interleave import Measured, Plan, measure

CONNECTIONS = (1, 8, 32, 128, 256)
BATCH_SIZES = (1, 10, 100, 1000)


def run(plan: Plan, keys: variants.Keys, cpu: int | None, logs: Path) -> list[Measured]:
    """Every point, connections first; each is warmed up for a second at most."""
    ours = variants.all_layers(keys, "--max-batch", str(max(BATCH_SIZES)))
    warm = dataclasses.replace(plan, warmup=min(plan.warmup, 1))
    points = []
    with variants.running([variants.ceiling(), ours], cpu, logs) as targets:
        for connections in CONNECTIONS:
            at = dataclasses.replace(warm, connections=connections)
            points += measure(targets, scenarios.single, at, logs)
        for size in BATCH_SIZES:
            points += measure(targets, functools.partial(scenarios.batch, size), warm, logs)
    return points
