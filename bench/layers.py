"""What each security layer adds to the per-call path, measured in process (``make bench``).

Each figure is the best of several timing runs of one step on its own: the scope check the
engine makes for every call, a key's lookup (digest and compare) once per request, the
Host and Origin checks once per request, and the rate limiter and the call metrics (the
engine's whole dispatch with each, less the same without it) per single call and per batch
of 100.
"""

from __future__ import annotations

import functools
import math
import tempfile
import timeit
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from multidict import CIMultiDict

from app.auth import keyfile
from app.clock import SystemClock
from app.limits.memory import MemoryRateLimitStore
from app.limits.store import RateLimitStore
from app.observe.calls import CallMetrics
from app.rpc.access import Principal
from app.rpc.dispatch import Dispatcher, Limits
from app.rpc.registry import Registry
from app.settings import Settings
from app.stores import StoreContext
from app.transport.cors import CorsPolicy
from app.transport.credentials import Credentials
from app.transport.hosts import HostPolicy
from handlers import calc


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
        *_rate_limit_costs(),
        *_metrics_costs(),
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


def _rate_limit_costs() -> list[Cost]:
    single = orjson.dumps({"jsonrpc": "2.0", "method": "calc.add", "params": [2, 3], "id": 1})
    batch = orjson.dumps(
        [{"jsonrpc": "2.0", "method": "calc.add", "params": [i, i], "id": i} for i in range(100)]
    )
    on, off = _dispatcher(1e9), _dispatcher(0)
    return [
        Cost("rate limit", "request", _turns(on, off, single, 20_000)),
        Cost("rate limit", "batch of 100", _turns(on, off, batch, 500)),
    ]


def _metrics_costs() -> list[Cost]:
    """Counting each call for GET /metrics: the engine's dispatch with the call metrics as its
    recorder, less the same with a recorder that does nothing."""
    single = orjson.dumps({"jsonrpc": "2.0", "method": "calc.add", "params": [2, 3], "id": 1})
    batch = orjson.dumps(
        [{"jsonrpc": "2.0", "method": "calc.add", "params": [i, i], "id": i} for i in range(100)]
    )
    registry = Registry([calc.namespace])
    metrics = CallMetrics(registry.names)
    on = Dispatcher(registry, Limits(), {}, metrics)
    metrics.started = on.started
    off = Dispatcher(registry, Limits(), {}, lambda *_: None)
    return [
        Cost("metrics", "request", _turns(on, off, single, 20_000)),
        Cost("metrics", "batch of 100", _turns(on, off, batch, 500)),
    ]


def _turns(on: Dispatcher, off: Dispatcher, body: bytes, number: int) -> float:
    """Best with, less best without, timed in turns so both see the same machine (ns)."""
    best = {on: math.inf, off: math.inf}
    for _ in range(15):
        for dispatcher in best:
            step = functools.partial(_run_dispatch, dispatcher, body)
            best[dispatcher] = min(best[dispatcher], timeit.timeit(step, number=number))
    return (best[on] - best[off]) / number * 1e9


def _dispatcher(rate: float) -> Dispatcher:
    # A limit out of reach, so every call is charged and none refused.
    context = StoreContext(Settings(rate_limit=rate, rate_burst=10**9), SystemClock())
    resources: dict[type, object] = {RateLimitStore: MemoryRateLimitStore(context)}
    return Dispatcher(Registry([calc.namespace]), Limits(), resources, lambda *_: None)


def _run_dispatch(dispatcher: Dispatcher, body: bytes) -> None:
    _run(dispatcher.dispatch(body, "r"))


def _run(coroutine: Coroutine[Any, Any, object]) -> None:
    """Drive a dispatch that waits on nothing (calc.add, the memory limiter) without a loop.

    A long batch yields the loop now and then (a bare ``asyncio.sleep(0)``): resume it.
    """
    while True:
        try:
            waiting = coroutine.send(None)
        except StopIteration:
            return
        if waiting is not None:
            raise RuntimeError("the dispatch waited on something")


if __name__ == "__main__":
    for cost in measure():
        print(f"{cost.step:24} {cost.ns:8.0f} ns per {cost.per}")
