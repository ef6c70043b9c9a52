"""What each security layer adds to the per-call path, measured in process (``make bench``).

Each figure is the best of several timing runs of one step on its own: the scope check the
engine makes for every call, a key's lookup (digest and compare) once per request, and the
Host and Origin checks once per request.
"""

from __future__ import annotations

import tempfile
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from multidict import CIMultiDict

from app.auth import keyfile
from app.rpc.access import Principal
from app.settings import Settings
from app.transport.cors import CorsPolicy
from app.transport.credentials import Credentials
from app.transport.hosts import HostPolicy


@dataclass(frozen=True)
class Cost:
    step: str
    per: str
    ns: float


def _best_ns(step: Callable[[], object], number: int = 20_000, repeat: int = 7) -> float:
    return min(timeit.repeat(step, number=number, repeat=repeat)) / number * 1e9


def measure() -> list[Cost]:
    """The cost of each layer, in nanoseconds."""
    principal = Principal("key:x", "bench", frozenset({"calc", "tasks:submit"}))
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "keys.jsonl"
        key, _ = keyfile.create(path, "bench", ["calc"])
        credentials = Credentials(Settings(keys_file=str(path)), {"calc"})
    with_key = CIMultiDict({"Authorization": f"Bearer {key}", "Host": "127.0.0.1:8080"})
    without = CIMultiDict({"Host": "127.0.0.1:8080"})
    hosts = HostPolicy((), "127.0.0.1", CorsPolicy.from_origins(()))
    return [
        Cost("scope check", "call", _best_ns(lambda: principal.check("calc"))),
        Cost("key lookup", "request", _best_ns(lambda: credentials.resolve(with_key, "127.0.0.1"))),
        Cost("no key (anonymous)", "request", _best_ns(lambda: credentials.resolve(without, None))),
        Cost(
            "Host and Origin checks",
            "request",
            _best_ns(
                lambda: (
                    hosts.allows_host(without.get("Host"))
                    and hosts.allows_origin(without.get("Origin"), "http", "127.0.0.1:8080")
                )
            ),
        ),
    ]


if __name__ == "__main__":
    for cost in measure():
        print(f"{cost.step:24} {cost.ns:8.0f} ns per {cost.per}")
