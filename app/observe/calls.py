"""Per-call metrics in gRPC's names: calls started, handled by outcome, and how long they took;
and the calls to deprecated methods, which tell when one can go.

Fed by the engine's call records, once per request body: counting is plain integer
arithmetic on slots made at start-up for every registered method (prometheus-client's own
metric objects take a lock per increment, which the benchmark would see), and the
collector turns the counts into metric families when Prometheus scrapes. Labels are
bounded: a method name nobody registered is counted as ``_OTHER``.
"""

from __future__ import annotations

import bisect
import functools
import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from app.rpc.access import Principal
from app.rpc.dispatch import CallRecord
from app.rpc.errors import RateLimited, Unauthorized

OTHER = "_OTHER"
"""The method label of a name that is not registered (OpenTelemetry's convention)."""
OK = "ok"
BUCKETS_S = (
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
    0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip
"""From 50 µs: most calls take well under a millisecond."""
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
_REJECTED_CODES = {Unauthorized.code: "auth", RateLimited.code: "rate_limit"}
_method = operator.attrgetter("method")
_code = operator.attrgetter("code")
_duration_s = operator.attrgetter("duration_s")


class _Method:
    __slots__ = ("buckets", "failed", "ok", "sum_s")

    def __init__(self) -> None:
        self.ok = 0
        self.failed: dict[int, int] = {}
        """Answers by error code."""
        self.buckets = [0] * (len(BUCKETS_S) + 1)
        self.sum_s = 0.0


class CallMetrics(Collector):
    def __init__(self, methods: Iterable[str], deprecated: Iterable[str] = ()) -> None:
        self._methods = {name: _Method() for name in (*methods, OTHER)}
        self._deprecated = {name: self._methods[name] for name in deprecated}
        """Their slots, read only when scraped: a call to one costs nothing extra."""
        self.started: Mapping[str, int] = {}
        """The engine's own count of calls started, by registered name (its dispatcher's)."""
        self._batches = [0] * (len(BATCH_BUCKETS) + 1)
        self._batch_sum = 0
        self.rejected: dict[str, int] = dict.fromkeys(_REJECTED_CODES.values(), 0)
        """Calls refused for their credential or their rate, by reason."""

    def __call__(
        self, request_id: str, records: Sequence[CallRecord], principal: Principal | None = None
    ) -> None:
        """Count one request body's calls (a dispatcher's CallRecorder)."""
        size = len(records)
        self._batches[bisect.bisect_left(BATCH_BUCKETS, size)] += 1
        self._batch_sum += size
        if size > 1:
            methods = list(map(_method, records))
            if methods.count(methods[0]) == size:  # a batch of one method: counted at once
                self._tally(self._methods.get(methods[0], self._methods[OTHER]), records)
                return
        find, other, where = self._methods.get, self._methods[OTHER], bisect.bisect_left
        for record in records:
            slot = find(record.method, other)
            code = record.code
            if code is None:
                slot.ok += 1
            else:
                self._failed(slot, code)
            duration_s = record.duration_s
            slot.buckets[where(BUCKETS_S, duration_s)] += 1
            slot.sum_s += duration_s

    def _tally(self, slot: _Method, records: Sequence[CallRecord]) -> None:
        """Count calls of one method: the same counts, buckets and sum as one by one."""
        size = len(records)
        codes = list(map(_code, records))
        ok = codes.count(None)
        slot.ok += ok
        if ok != size:
            for code in codes:
                if code is not None:
                    self._failed(slot, code)
        durations = list(map(_duration_s, records))
        slot.sum_s = functools.reduce(operator.add, durations, slot.sum_s)  # in call order
        # Sorted, each bucket's count is the distance between two bounds' places.
        durations.sort()
        buckets, below = slot.buckets, 0
        for index, bound in enumerate(BUCKETS_S):
            upto = bisect.bisect_right(durations, bound, below)
            buckets[index] += upto - below
            below = upto
            if below == size:
                return
        buckets[-1] += size - below

    def _failed(self, slot: _Method, code: int) -> None:
        slot.failed[code] = slot.failed.get(code, 0) + 1
        if code in _REJECTED_CODES:
            self.rejected[_REJECTED_CODES[code]] += 1

    def collect(self) -> Iterator[Metric]:
        started = CounterMetricFamily(
            "rpc_server_started", "Calls started, by method.", labels=["method"]
        )
        handled = CounterMetricFamily(
            "rpc_server_handled",
            "Calls answered, by method and code (ok, or the JSON-RPC error code).",
            labels=["method", "code"],
        )
        seconds = HistogramMetricFamily(
            "rpc_server_handling_seconds", "How long calls took, by method.", labels=["method"]
        )
        other_started = self._other_started()
        for name, slot in self._methods.items():
            started.add_metric([name], self.started.get(name, other_started))
            handled.add_metric([name, OK], slot.ok)
            for code, count in slot.failed.items():
                handled.add_metric([name, str(code)], count)
            seconds.add_metric([name], _buckets(BUCKETS_S, slot.buckets), slot.sum_s)
        batch = HistogramMetricFamily(
            "rpc_batch_size", "Calls per request body (1: a single call)."
        )
        batch.add_metric([], _buckets(BATCH_BUCKETS, self._batches), self._batch_sum)
        yield from (started, handled, seconds, batch, self._deprecated_calls())

    def _deprecated_calls(self) -> Metric:
        # Every answer counts, refusals too: each is a client still calling the method.
        calls = CounterMetricFamily(
            "rpc_deprecated_calls",
            "Calls to deprecated methods, by method: clients still to move to the replacement.",
            labels=["method"],
        )
        for name, slot in self._deprecated.items():
            calls.add_metric([name], slot.ok + sum(slot.failed.values()))
        return calls

    def _other_started(self) -> int:
        # The engine counts only registered names; every other answer was an _OTHER start.
        other = self._methods[OTHER]
        return other.ok + sum(other.failed.values())


def _buckets(bounds: Sequence[float], counts: Sequence[int]) -> list[tuple[str, float]]:
    """Cumulative (le, count) pairs, ``+Inf`` last, as HistogramMetricFamily takes them."""
    out, total = [], 0
    for bound, count in zip((*map(str, bounds), "+Inf"), counts, strict=True):
        total += count
        out.append((bound, float(total)))
    return out
