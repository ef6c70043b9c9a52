"""The benchmark's table: printed with rich, and saved as JSON."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from rich.console import Console
from rich.table import Table

from bench.layers import Cost


@dataclass(frozen=True)
class Row:
    scenario: str
    requests_per_s: float | None
    calls_per_s: float
    p50_ms: float
    p99_ms: float
    server_rss_mib: float
    ceiling_requests_per_s: float | None
    vs_ceiling: float | None
    """rpc-hub's requests/s as a share of the ceiling's, on the same bodies in the same run."""


def machine() -> dict[str, str | int]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count() or 0,
        "python": sys.version.split()[0],
        "aiohttp": aiohttp.__version__,
        "kernel": platform.release(),
    }


def show(rows: list[Row], settings: dict[str, object]) -> None:
    table = Table(title="rpc-hub vs a bare-aiohttp ceiling (medians of interleaved rounds)")
    for column in (
        "scenario",
        "requests/s",
        "calls/s",
        "p50 ms",
        "p99 ms",
        "server RSS",
        "ceiling req/s",
        "vs ceiling",
    ):
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for row in rows:
        table.add_row(
            row.scenario,
            "—" if row.requests_per_s is None else f"{row.requests_per_s:,.0f}",
            f"{row.calls_per_s:,.0f}",
            f"{row.p50_ms:.2f}",
            f"{row.p99_ms:.2f}",
            f"{row.server_rss_mib:.0f} MiB",
            "—" if row.ceiling_requests_per_s is None else f"{row.ceiling_requests_per_s:,.0f}",
            "—" if row.vs_ceiling is None else f"{row.vs_ceiling:.0%}",
        )
    console = Console(width=140)
    console.print(table)
    console.print(f"machine: {machine()}\nsettings: {settings}")


def save(
    rows: list[Row],
    settings: dict[str, object],
    path: Path,
    layers: Sequence[Cost] = (),
    extra: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """Write the results document to ``path``, and return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": settings,
        "rows": [asdict(row) for row in rows],
        "layers_ns": {f"{cost.step} (per {cost.per})": round(cost.ns) for cost in layers},
        **(extra or {}),
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return document
