"""Start-up and memory with every layer on (issue 19's last targets).

Each of several fresh processes (the target configuration, pinned to the server core) is
timed from its start to its first `GET /readyz` 200, asked every 5 ms; then it answers the
first weather calls (a city, a misspelt one and a prefix search, so that every part of the
city index is loaded, however lazily) and its RSS is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson

from bench import servers
from bench.variants import Variant

WEATHER = orjson.dumps(
    [
        {"jsonrpc": "2.0", "method": "weather.get_temperature", "params": ["Paris"], "id": 1},
        {"jsonrpc": "2.0", "method": "weather.current", "params": ["Pariss"], "id": 2},
        {"jsonrpc": "2.0", "method": "weather.search_cities", "params": ["s", 50], "id": 3},
    ]
)
CITY_NOT_FOUND = 2001
"""The misspelt city's answer (with suggestions): the others answer with results."""
POLL_S = 0.005


@dataclass(frozen=True)
class Startup:
    ready_s: list[float]
    """Each fresh process: seconds from its start to /readyz 200."""
    rss_mib: list[float]
    """Each one's RSS after the weather calls."""

    @property
    def best_ready_s(self) -> float:
        return min(self.ready_s)

    @property
    def worst_rss_mib(self) -> float:
        return max(self.rss_mib)


def run(variant: Variant, cpu: int | None, logs: Path, processes: int = 5) -> Startup:
    ready, rss = [], []
    for n in range(processes):
        with servers.running(
            f"{variant.name} (start-up {n})",
            variant.command,
            cpu,
            logs / f"startup-{n}.log",
            variant.ready,
            poll_s=POLL_S,
            cwd=variant.cwd,
        ) as server:
            ready.append(server.ready_s)
            answers = servers.post(server.url, WEATHER, variant.headers)
            codes = [answer.get("error", {}).get("code") for answer in answers]
            if codes != [None, CITY_NOT_FOUND, None]:
                raise RuntimeError(f"unexpected weather answers on {variant.name}: {answers}")
            rss.append(server.rss_mib())
    return Startup(ready, rss)
