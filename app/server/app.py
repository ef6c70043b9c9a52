"""The application factory: everything the server is made of, assembled in one place."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web

from app.clock import Clock, SystemClock
from app.observe import tracing
from app.observe.calls import CallMetrics
from app.observe.dispatcher import observed_dispatcher
from app.observe.domains import DomainMetrics
from app.observe.metrics import Metrics
from app.observe.route import SCOPE as METRICS_SCOPE
from app.observe.route import metrics_handler
from app.observe.server import ServerMetrics
from app.plugins import Plugin, load_plugins
from app.rpc import openrpc
from app.rpc.access import Principal
from app.rpc.discovery import Discovery
from app.rpc.dispatch import CallRecord, CallRecorder, Limits
from app.rpc.registry import Registry
from app.rpc.session import SessionLimits
from app.server import demo
from app.server.builtin import BUILTIN, ENGINE
from app.server.call_log import CallLog
from app.server.keys import (
    ADMISSION,
    CREDENTIALS,
    DISPATCHER,
    EDGE,
    METRICS,
    OPENRPC_JSON,
    REGISTRY,
    SETTINGS,
    STORES,
    STREAMS,
)
from app.server.lifecycle import Stores
from app.settings import Settings
from app.stores import StoreContext
from app.transport import http
from app.transport.admission import Admission
from app.transport.cors import CorsPolicy
from app.transport.credentials import Credentials
from app.transport.edge import Edge
from app.transport.hosts import HostPolicy
from app.transport.sse import EventStreams
from app.transport.streams import Streams
from app.transport.ws import websocket_handler
from handlers import API_VERSION

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

_NOT_INJECTED = (
    "handlers are not given the Settings; a store reads them from its StoreContext "
    "(see docs/extending.md)"
)


def served_plugins(settings: Settings) -> list[Plugin]:
    """The built-in plugin, then those the ``plugins`` setting names."""
    return [BUILTIN, *load_plugins(settings.plugins)]


def build_api(
    settings: Settings, plugins: Sequence[Plugin] | None = None
) -> tuple[Registry, dict[str, Any]]:
    """Every method the server offers (namespaces, plugins, ``rpc.discover``) and its OpenRPC."""
    registry, discovery = _api(settings, plugins)
    return registry, discovery.document


def _api(settings: Settings, plugins: Sequence[Plugin] | None) -> tuple[Registry, Discovery]:
    if plugins is None:
        plugins = served_plugins(settings)
    if ENGINE not in plugins:
        plugins = [ENGINE, *plugins]  # what handlers may ask of the engine (its event topics)
    stores = [provider.protocol for plugin in plugins for provider in plugin.stores]
    registry = Registry(
        [namespace for plugin in plugins for namespace in plugin.namespaces],
        injectable=stores,
        refused={Settings: _NOT_INJECTED},
    )
    discovery = Discovery(openrpc.build(registry, API_VERSION))
    registry.add_builtin(discovery.method())
    return registry, discovery


def create_app(
    settings: Settings,
    plugins: Sequence[Plugin] | None = None,
    *,
    clock: Clock | None = None,
    tracer: Tracer | None = None,
) -> web.Application:
    """A fresh application with its own stores.

    ``plugins`` replaces the served set; ``clock`` lets tests move time instead of waiting;
    ``tracer`` traces calls (default: as the ``OTEL_*`` variables say, usually not at all).
    """
    if plugins is None:
        plugins = served_plugins(settings)
    plugins = [ENGINE, *plugins]
    registry, discovery = _api(settings, plugins)
    context = StoreContext.from_settings(settings, clock or SystemClock())
    if settings.demo:
        context = demo.prepared(context)
    stores = Stores(plugins, context)
    cors = CorsPolicy.from_origins(settings.cors_origins)
    if tracer is None:
        tracer = tracing.from_environment("rpc-hub")
    call_log = (
        CallLog(
            settings.log_format,
            methods=registry.names,
            params=settings.log_params,
            sensitive=[entry.name for entry in registry if entry.declared.redact_values],
            trace_ids=tracer is not None,
        )
        if settings.call_log and settings.log_level in ("debug", "info")
        else None
    )
    calls = CallMetrics(registry.names, registry.deprecated) if settings.metrics else None
    dispatcher = observed_dispatcher(
        registry,
        Limits(
            max_batch=settings.max_batch,
            max_depth=settings.max_depth,
            call_timeout_s=settings.call_timeout_s,
            batch_concurrency=settings.batch_concurrency,
        ),
        resources=stores.by_protocol,
        on_calls=_recorder(call_log, calls),
        tracer=tracer,
        log_params=settings.log_params and call_log is not None,
    )
    app = web.Application(client_max_size=settings.max_body_bytes)
    app[SETTINGS] = settings
    app[REGISTRY] = registry
    app[OPENRPC_JSON] = discovery.default
    app[STORES] = stores
    app[DISPATCHER] = dispatcher
    app.cleanup_ctx.append(_stores_lifecycle)
    if settings.demo:
        app.cleanup_ctx.append(demo.seeded(stores, context))  # once the stores are open
    if call_log is not None:
        app.on_cleanup.append(_flusher(call_log))
    edge = Edge(
        cors,
        settings.max_body_bytes,
        HostPolicy(settings.allowed_hosts, settings.host, cors),
        settings.read_timeout_s,
    )
    app[EDGE] = edge
    credentials = Credentials(settings, registry.scopes | {METRICS_SCOPE})
    app[CREDENTIALS] = credentials
    admission = Admission(settings.max_inflight)
    app[ADMISSION] = admission
    streams = Streams(
        settings.max_streams,
        SessionLimits(settings.max_subscriptions, settings.max_queued_bytes),
        settings.shutdown_timeout_s,
    )
    app[STREAMS] = streams
    app.on_shutdown.append(_close_streams)
    websocket = websocket_handler(
        edge, dispatcher, credentials, streams, admission, settings.max_body_bytes
    )
    event_streams = EventStreams(edge, dispatcher, streams, admission)
    if calls is not None:
        calls.started = dispatcher.started
        metrics = Metrics(
            calls,
            ServerMetrics(admission, streams, edge.refused, edge.forbidden, calls.rejected),
            DomainMetrics(stores.by_protocol.values()),
        )
        app[METRICS] = metrics
        metrics.handler = edge.wrap(metrics_handler(metrics.registry, metrics.domains, credentials))
        app.router.add_get("/metrics", metrics.handler)
    app.add_routes(
        http.routes(
            edge,
            dispatcher,
            credentials,
            stores,
            cors,
            discovery,
            admission,
            websocket,
            event_streams,
            notification_status=settings.notification_status,
        )
    )
    return app


async def _close_streams(app: web.Application) -> None:
    await app[STREAMS].close_all()  # before aiohttp waits for handlers: these never end alone


async def _stores_lifecycle(app: web.Application) -> AsyncIterator[None]:
    stores = app[STORES]
    await stores.open()
    yield
    await stores.close()


def _flusher(call_log: CallLog) -> Callable[[web.Application], Awaitable[None]]:
    async def flush(app: web.Application) -> None:
        call_log.flush()  # the last lines, once in-flight calls have finished

    return flush


def _recorder(*recorders: CallRecorder | None) -> CallRecorder:
    """One recorder for the dispatcher from those that are on (the call log, the metrics)."""
    on = [recorder for recorder in recorders if recorder is not None]
    if not on:
        return _ignore
    if len(on) == 1:
        return on[0]

    def each(request_id: str, records: list[CallRecord], principal: Principal) -> None:
        for recorder in on:
            recorder(request_id, records, principal)

    return each


def _ignore(request_id: str, records: list[CallRecord], principal: Principal) -> None:
    pass
