"""The server's own gauges and refusals: calls in flight, connections, live sessions, and
requests turned away at the edge, read from the parts that count them when Prometheus
scrapes."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from app.transport.admission import Admission
from app.transport.streams import Streams

REFUSED_STATUSES = (400, 408, 413, 415, 429, 503)
"""Refusals by HTTP status, labelled by the status; a 403 is labelled by what was refused."""
FORBIDDEN = ("host", "origin", "scope")


class ServerMetrics(Collector):
    def __init__(
        self,
        admission: Admission,
        streams: Streams,
        refused: Mapping[int, int],
        forbidden: Mapping[str, int],
        rejected_calls: Mapping[str, int],
    ) -> None:
        self._admission = admission
        self._streams = streams
        self._refused = refused
        self._forbidden = forbidden
        self._rejected_calls = rejected_calls
        self.connections: Callable[[], int] | None = None
        """Open TCP connections, once the process's listener is up (not in tests' apps)."""

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "rpc_inflight",
            "Requests (and WebSocket frames) being served now.",
            value=self._admission.inflight,
        )
        rejected = CounterMetricFamily(
            "rpc_rejected",
            "Requests and calls turned away, by reason: an HTTP status, host, origin, scope "
            "(GET /metrics), auth, or rate_limit (calls refused by the caller's rate).",
            labels=["reason"],
        )
        for status in REFUSED_STATUSES:
            rejected.add_metric([str(status)], self._refused.get(status, 0))
        for reason in FORBIDDEN:
            rejected.add_metric([reason], self._forbidden.get(reason, 0))
        for reason, count in self._rejected_calls.items():
            rejected.add_metric([reason], count)
        yield rejected
        if self.connections is not None:
            yield GaugeMetricFamily(
                "rpc_http_connections", "Open HTTP connections.", value=self.connections()
            )
        streams = self._streams
        yield GaugeMetricFamily(
            "rpc_live_sessions",
            "Open WebSocket sessions and event streams.",
            value=len(streams),
        )
        yield GaugeMetricFamily(
            "rpc_live_subscriptions", "Subscriptions open now.", value=streams.subscriptions()
        )
        yield CounterMetricFamily(
            "rpc_live_slow_consumers",
            "Clients cut off for not reading their notifications.",
            value=streams.cut_off,
        )
