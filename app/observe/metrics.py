"""One app's metrics: its own registry of collectors (never the process-global one, so two
apps in one process, as in the tests, count apart)."""

from __future__ import annotations

from aiohttp.typedefs import Handler
from prometheus_client import CollectorRegistry

from app.observe.calls import CallMetrics
from app.observe.domains import DomainMetrics
from app.observe.server import ServerMetrics


class Metrics:
    def __init__(self, calls: CallMetrics, server: ServerMetrics, domains: DomainMetrics) -> None:
        self.handler: Handler | None = None
        """GET /metrics, edge included: served on the main port, and on ``metrics_port``."""
        self.calls = calls
        self.server = server
        self.domains = domains
        self.registry = CollectorRegistry(auto_describe=False)
        for collector in (calls, server, domains):
            self.registry.register(collector)
