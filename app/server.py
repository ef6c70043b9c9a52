"""The application factory: everything the server is made of, assembled in one place."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import orjson
from aiohttp import web

from app import __version__
from app.clock import Clock
from app.keys import DISPATCHER, OPENRPC_JSON, REGISTRY, SETTINGS, STORE
from app.logs import CallLog
from app.plugins import load_namespaces
from app.rpc import openrpc
from app.rpc.dispatch import CallRecord, Dispatcher, Limits
from app.rpc.namespace import Namespace
from app.rpc.registry import Registry
from app.settings import Settings
from app.store import Store
from app.transport import http
from app.transport.cors import CorsPolicy
from app.transport.edge import Edge
from handlers import NAMESPACES


def build_api(
    settings: Settings, namespaces: Sequence[Namespace] | None = None
) -> tuple[Registry, dict[str, Any]]:
    """Every method the server offers (namespaces, plugins, ``rpc.discover``) and its OpenRPC."""
    if namespaces is None:
        namespaces = (*NAMESPACES, *load_namespaces(settings.plugins))
    registry = Registry(namespaces, injectable=(Store, Settings))
    document = openrpc.build(registry, __version__)
    registry.add_builtin(openrpc.discover(document))
    return registry, document


def create_app(
    settings: Settings,
    namespaces: Sequence[Namespace] | None = None,
    *,
    clock: Clock | None = None,
) -> web.Application:
    """A fresh application with its own store.

    ``namespaces`` replaces the default set; ``clock`` lets tests move time instead of waiting.
    """
    registry, document = build_api(settings, namespaces)
    cors = CorsPolicy.from_origins(settings.cors_origins)
    store = Store(settings, clock)
    call_log = (
        CallLog(settings.log_format)
        if settings.call_log and settings.log_level in ("debug", "info")
        else None
    )
    dispatcher = Dispatcher(
        registry,
        Limits(
            max_batch=settings.max_batch,
            max_depth=settings.max_depth,
            call_timeout_s=settings.call_timeout_s,
            batch_concurrency=settings.batch_concurrency,
        ),
        resources={Store: store, Settings: settings},
        on_calls=call_log or _ignore,
    )
    openrpc_json = orjson.dumps(document)
    app = web.Application(client_max_size=settings.max_body_bytes)
    app[SETTINGS] = settings
    app[REGISTRY] = registry
    app[OPENRPC_JSON] = openrpc_json
    app[STORE] = store
    app[DISPATCHER] = dispatcher
    app.cleanup_ctx.append(_store_lifecycle)
    if call_log is not None:
        app.on_cleanup.append(_flusher(call_log))
    edge = Edge(cors, settings.max_body_bytes)
    app.add_routes(http.routes(edge, dispatcher, store, cors, openrpc_json))
    return app


async def _store_lifecycle(app: web.Application) -> AsyncIterator[None]:
    store = app[STORE]
    await store.open()
    yield
    await store.close()


def _flusher(call_log: CallLog) -> Callable[[web.Application], Awaitable[None]]:
    async def flush(app: web.Application) -> None:
        call_log.flush()  # the last lines, once in-flight calls have finished

    return flush


def _ignore(request_id: str, records: list[CallRecord]) -> None:
    pass
