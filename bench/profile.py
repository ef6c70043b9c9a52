"""Where a call's time goes: rpc-hub with every layer on, under cProfile, loaded by wrk with
single calls, then with batches of 100.

    python -m bench --only targets   # the profile is part of the targets section

The server runs as `python -m bench.profiled` (the server, with a profiler switched by
signal): after a warm-up, the profiler runs only while wrk loads it, timing CPU. Each
function's own time is summed by layer (the module it belongs to), so the table says which
layer costs what share of the server's time. cProfile adds a fixed cost to every Python call,
so Python-heavy layers look larger than they are; compare shares, not absolute figures.
"""

from __future__ import annotations

import pstats
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from bench import interleave, scenarios, servers, wrk
from bench.variants import Keys, all_layers

LAYERS = (
    ("app/server/call_log", "call log"),
    ("app/observe", "metrics and traces"),
    ("app/transport", "edge: HTTP, auth, CORS"),
    ("app/rpc/scalars", "params: scalar fast path"),
    ("app/rpc/params", "params: validator"),
    ("app/rpc/meter", "rate limit"),
    ("app/limits", "rate limit"),
    ("app/rpc", "dispatch"),
    ("app/", "rest of rpc-hub"),
    ("handlers/", "handlers"),
    ("aiohttp/", "aiohttp"),
    ("asyncio/", "event loop"),
    ("uvloop", "event loop"),
    ("pydantic", "params: validator"),
)
"""Path fragments to layers, first match wins; anything else is "other (C, stdlib)"."""


@dataclass(frozen=True)
class Share:
    layer: str
    share: float
    """Of the server's profiled time."""


@dataclass(frozen=True)
class Profiled:
    scenario: str
    requests_per_s: float
    """Under the profiler: far below the real figure."""
    layers: list[Share]
    top: list[tuple[str, float]]
    """The costliest functions (file:line(name)), by their share of own time."""


def run(
    plan: interleave.Plan, keys: Keys, cpu: int | None, logs: Path, scenario: scenarios.Scenario
) -> Profiled:
    variant = all_layers(keys)
    out = logs / f"profile-{scenario.calls_per_request}.out"
    command = [variant.command[0], "-m", "bench.profiled", str(out), *variant.command[3:]]
    lua = logs / f"profile-{scenario.calls_per_request}.lua"
    lua.write_text(wrk.script(scenario.bodies, variant.headers))
    with servers.running(
        "rpc-hub (profiled)", command, cpu, logs / "profile.log", variant.ready
    ) as up:

        def load() -> wrk.Load:
            return wrk.run(
                plan.wrk_path, up.url, str(lua), plan.seconds, plan.connections, plan.load_cpu
            )

        load()  # warm-up, unprofiled
        up.process.send_signal(signal.SIGUSR1)
        loaded = load()
        up.process.send_signal(signal.SIGUSR2)
        _wait_for(out)
    return _read(out, scenario.name, loaded.requests_per_s)


def _wait_for(path: Path, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists() or path.stat().st_size == 0:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the profiled server wrote no {path}")
        time.sleep(0.1)  # the server writes it between two event-loop steps


def _read(path: Path, scenario: str, requests_per_s: float) -> Profiled:
    stats = pstats.Stats(str(path))
    entries = stats.stats  # type: ignore[attr-defined]  # (file, line, name) -> (cc, nc, tt, ct, callers)
    total = sum(entry[2] for entry in entries.values()) or 1.0
    by_layer: dict[str, float] = {}
    functions: list[tuple[str, float]] = []
    for (file, line, name), entry in entries.items():
        own = entry[2] / total
        layer = _layer(file)
        by_layer[layer] = by_layer.get(layer, 0.0) + own
        functions.append((f"{_short(file)}:{line}({name})", own))
    functions.sort(key=lambda item: item[1], reverse=True)
    layers = sorted(
        (Share(layer, share) for layer, share in by_layer.items()), key=lambda s: -s.share
    )
    return Profiled(scenario, requests_per_s, layers, functions[:15])


def _layer(file: str) -> str:
    return next((layer for fragment, layer in LAYERS if fragment in file), "other (C, stdlib)")


def _short(file: str) -> str:
    for root in ("site-packages/", "/work/", "/lib/python3"):
        if root in file:
            return file.rpartition(root)[2]
    return file
