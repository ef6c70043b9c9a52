"""GET /metrics: the Prometheus text format, for callers holding the ``metrics`` scope
(anonymous ones on loopback by default, as for every scope but admin)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CollectorRegistry
from prometheus_client.aiohttp import make_aiohttp_handler

from app.observe.domains import DomainMetrics
from app.transport.credentials import Credentials
from app.transport.edge import Refused

SCOPE = "metrics"


def metrics_handler(
    registry: CollectorRegistry, domains: DomainMetrics, credentials: Credentials
) -> Handler:
    expose = make_aiohttp_handler(registry)

    async def metrics(request: web.Request) -> web.StreamResponse:
        principal = credentials.resolve(request.headers, request.remote).principal
        if not principal.holds(SCOPE):
            raise Refused(
                "Forbidden: reading metrics needs the metrics scope; send a key that holds it "
                "(Authorization: Bearer), or its operator can grant it with "
                "RPC_ANONYMOUS_SCOPES",
                {"required_scope": SCOPE},
                kind="scope",
            )
        await domains.refresh()
        return await expose(request)

    return metrics
