"""Run the server as a process: listen, and on SIGTERM or SIGINT shut down gracefully.

Shutdown order: /readyz turns 503 (the store drains, long-polls return), an optional
drain delay lets load balancers notice, the listener closes, in-flight calls get up to
``shutdown_timeout_s`` to finish, then the store closes and the process exits 0.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import resource
import signal
from collections.abc import Callable

from aiohttp import web, web_response

from app import __version__
from app.server.app import create_app
from app.server.keys import CREDENTIALS, EDGE, METRICS, STORES
from app.server.listener import GuardedSite
from app.settings import Settings
from app.transport.edge import SERVER_NAME

log = logging.getLogger("app.server")

_FD_RESERVE = 64


async def serve(
    settings: Settings,
    *,
    reuse_port: bool = False,
    on_serving: Callable[[], object] | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT; ``reuse_port`` when other processes share the port,
    and ``on_serving`` is told once the listener is up."""
    # The edge names the server on every response it sees, but aiohttp answers
    # malformed HTTP itself, with a Server header that names Python's and aiohttp's versions.
    # That default is a module constant read at send time; this process owns it.
    web_response.SERVER_SOFTWARE = SERVER_NAME  # type: ignore[attr-defined]
    app = create_app(settings)
    # aiohttp waits for a busy connection twice, each time up to its shutdown_timeout: first
    # for the handler to finish, then (having cancelled only the body upload) for it again.
    # A handler that does not read its body runs on through both, so half of ours for each
    # gives in-flight calls our whole timeout, and no more: Docker's grace period is 10 s.
    runner = web.AppRunner(
        app,
        handle_signals=False,
        shutdown_timeout=settings.shutdown_timeout_s / 2,
        # A client that hangs up no longer wants its answer: stop working on it.
        handler_cancellation=True,
    )
    max_connections = _connection_cap(settings.max_connections, _raise_fd_limit())
    await runner.setup()
    # Everything built so far (modules, the city index, the catalog) lives as long as the
    # process: move it out of the garbage collector's sight, so collections stay short.
    gc.freeze()
    # A full collection scans every live object: under a flood of batches that took 100 to
    # 180 ms, stalling every caller. Young cycles are still collected as usual; full
    # collections are a hundred times rarer (Python's default third threshold is 10).
    gen0, gen1, _ = gc.get_threshold()
    gc.set_threshold(gen0, gen1, 1000)
    side: web.AppRunner | None = None
    try:
        site = GuardedSite(
            runner,
            settings.host,
            settings.port,
            reuse_port=reuse_port,
            max_connections=max_connections,
            read_timeout_s=settings.read_timeout_s,
            # aiohttp's default keeps idle connections for an hour: thousands took every fd.
            keepalive_s=settings.keepalive_s,
            refused=app[EDGE].refused,
        )
        await site.start()
        side = await _metrics_listener(app, settings, site)
        host, port = runner.addresses[0][:2]
        _log_access_mode(app[CREDENTIALS].anonymous.scopes, settings)
        log.info(
            "rpc-hub %s serving on http://%s:%s/rpc (%s)",
            __version__,
            host,
            port,
            type(asyncio.get_running_loop()).__module__.split(".")[0],
        )
        if on_serving is not None:
            on_serving()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        loop.add_signal_handler(signal.SIGHUP, app[CREDENTIALS].reload)
        await stop.wait()
        log.info("shutting down: draining for %ss", settings.drain_delay_s)
        app[STORES].drain()
        if settings.drain_delay_s:
            await asyncio.sleep(settings.drain_delay_s)
    finally:
        if side is not None:
            await side.cleanup()
        await runner.cleanup()
    refused = app[EDGE].refused
    if refused:
        counts = ", ".join(f"{count} × {status}" for status, count in sorted(refused.items()))
        log.info("refused since start: %s", counts)
    log.info("stopped")


async def _metrics_listener(
    app: web.Application, settings: Settings, site: GuardedSite
) -> web.AppRunner | None:
    """Count the site's connections; and serve GET /metrics alone on ``metrics_port``, if set."""
    metrics = app.get(METRICS)
    if metrics is None:
        return None
    listener = site.listener
    if listener is not None:
        metrics.server.connections = lambda: listener.open
    if settings.metrics_port is None or metrics.handler is None:
        return None
    side = web.Application()
    side.router.add_get("/metrics", metrics.handler)
    side.router.add_route("*", "/{path:.*}", app[EDGE].wrap(_not_found))  # JSON, not HTML
    runner = web.AppRunner(side, handle_signals=False, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.metrics_port).start()
    log.info("metrics also on http://%s:%s/metrics", settings.host, settings.metrics_port)
    return runner


async def _not_found(request: web.Request) -> web.Response:
    raise web.HTTPNotFound()


def _log_access_mode(anonymous: frozenset[str], settings: Settings) -> None:
    """Say at start-up what a caller without a key may do, and why."""
    why = (
        "RPC_ANONYMOUS_SCOPES"
        if settings.anonymous_scopes is not None
        else (f"the default for {settings.host}")
    )
    if anonymous:
        log.info("calls without a key may use: %s (%s)", ", ".join(sorted(anonymous)), why)
    else:
        log.info("every call needs a key: calls without one may use nothing (%s)", why)


def _raise_fd_limit() -> int:
    """Raise the soft limit on open files to the hard one (each connection takes an fd);
    return the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):  # an unlimited hard limit cannot be the soft one
            return soft
        log.info("open files limit raised from %d to %d", soft, hard)
        return hard
    return soft


def _connection_cap(wanted: int, fd_limit: int) -> int:
    """``wanted``, or less if the fd limit would run out first: some fds stay for files,
    the stores and the answer that turns a connection away."""
    cap = max(1, fd_limit - _FD_RESERVE)
    if fd_limit == resource.RLIM_INFINITY or wanted <= cap:
        return wanted
    log.warning(
        "RPC_MAX_CONNECTIONS lowered from %d to %d: the open files limit is %d",
        wanted,
        cap,
        fd_limit,
    )
    return cap
