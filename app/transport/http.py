"""The routes: POST /rpc (and its CORS preflight), GET /rpc (a WebSocket), health,
readiness, the OpenRPC document, and the browser console (GET / and its files under /static/).

``routes`` binds each handler to the app's parts once, so a request looks nothing up.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from app.rpc.discovery import Discovery
from app.rpc.dispatch import Dispatcher
from app.rpc.meter import Throttled
from app.transport.admission import Admission
from app.transport.cors import PREFLIGHT_HEADERS, CorsPolicy
from app.transport.credentials import Credentials
from app.transport.edge import Edge, Shed
from app.transport.sse import EventStreams, wants_stream

JSON_MEDIA_TYPES = frozenset(
    {"application/json", "application/json-rpc", "application/jsonrequest"}
)
_COMMON_JSON_HEADERS = frozenset(
    {"application/json", "application/json; charset=utf-8", "application/json;charset=utf-8"}
)
"""Content-Type values accepted without parsing; anything else is parsed, then judged.

No Content-Type at all is read as JSON too (tinyrpc, old scripts). That lets in no page a
CORS preflight would have kept out: a page's ``fetch`` of a typeless body (an ArrayBuffer, a
Blob without a type) sends no Content-Type, even in ``no-cors`` mode, but always an Origin
("null" at least), and ``Edge.guard`` has already refused every Origin that is neither ours
nor allowed. Forms always send a type, never a JSON one: 415.
"""

STATIC = Path(__file__).resolve().parents[1] / "static"
"""The console's files, shipped as package data (pyproject's package-data)."""
CONSOLE_HEADERS = {
    # The page may load only its own files and talk only to this server.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}
RPC_METHODS = "POST, OPTIONS"


class Readiness(Protocol):
    """What /readyz reports: the stores are open, and the server is not shutting down."""

    @property
    def ready(self) -> bool: ...

    @property
    def draining(self) -> bool: ...

    async def reachable(self) -> bool: ...


def routes(
    edge: Edge,
    dispatcher: Dispatcher,
    credentials: Credentials,
    readiness: Readiness,
    cors: CorsPolicy,
    discovery: Discovery,
    admission: Admission,
    websocket: Handler,
    event_streams: EventStreams,
    notification_status: int = 204,
) -> list[web.RouteDef]:
    """Every route of the server, in match order; unknown paths and methods get JSON errors.

    ``notification_status`` answers a POST of notifications only: 204, or 200 with an empty
    body for clients that take nothing else (jsonrpclib-pelix).
    """

    async def rpc(request: web.Request) -> web.StreamResponse:
        """JSON-RPC 2.0: one request, a notification or a batch (the hot path, edge inlined)."""
        request_id = edge.request_id(request)
        if admission.inflight >= admission.limit:
            return edge.finish(request, edge.refusal(request, Shed(admission.limit)), request_id)
        admission.inflight += 1
        try:
            cross_site = edge.guard(request, check_origin=True)
            content_type = request.headers.get(hdrs.CONTENT_TYPE)
            if (
                content_type not in _COMMON_JSON_HEADERS
                and content_type is not None
                and request.content_type not in JSON_MEDIA_TYPES
            ):
                raise web.HTTPUnsupportedMediaType()
            headers = request.headers
            address = request.remote
            resolved = credentials.resolve(headers, address, cross_site=cross_site)
            if resolved.failed and credentials.delay_s:
                # Slows guessing; a timer, not work, so it holds no in-flight place meanwhile
                # (or wrong keys sent fast enough would shed everyone else).
                admission.inflight -= 1
                admission.delayed += 1
                try:
                    await asyncio.sleep(credentials.delay_s)
                finally:
                    admission.delayed -= 1
                    admission.inflight += 1
            body = await _read(request, edge.read_timeout_s)
            principal = resolved.principal
            rate_key = credentials.rate_key(principal, address)
            if wants_stream(headers):
                out = await event_streams.answer(request, body, request_id, principal, rate_key)
                if isinstance(out, web.StreamResponse):
                    return out  # streamed: the edge's headers went out with it
            else:
                out = await dispatcher.dispatch(body, request_id, headers, principal, rate_key)
        except web.HTTPException as exc:
            response: web.StreamResponse = edge.refusal(request, exc)
        except Throttled as exc:
            response = edge.throttled(exc)
        except web.RequestPayloadError:
            # A corrupt gzip or deflate body: the client's fault, so 400 and no traceback.
            response = edge.unreadable(request)
        except Exception:
            response = edge.crash(request, request_id)
        else:
            if out is None:
                response = web.Response(status=notification_status)
            else:
                response = web.Response(body=out, content_type="application/json")
        finally:
            admission.inflight -= 1
        return edge.finish(request, response, request_id)

    async def rpc_preflight(request: web.Request) -> web.Response:
        """Answer a browser's CORS preflight; the edge adds the allowed origin itself."""
        response = web.Response(status=204, headers={hdrs.ALLOW: RPC_METHODS})
        origin = request.headers.get(hdrs.ORIGIN)
        if (
            origin is not None
            and hdrs.ACCESS_CONTROL_REQUEST_METHOD in request.headers
            and cors.allows(origin)
        ):
            response.headers.update(PREFLIGHT_HEADERS)
        return response

    async def rpc_other(request: web.Request) -> web.Response:
        raise web.HTTPMethodNotAllowed(request.method, RPC_METHODS.split(", "))

    async def healthz(request: web.Request) -> web.Response:
        """Liveness: 200 while the process serves."""
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        """Readiness: 200 once the store is open, 503 while starting, shutting down, or
        while the store's Redis does not answer."""
        if readiness.ready:
            if await readiness.reachable():
                return web.json_response({"status": "ready"})
            return web.json_response({"status": "store unavailable"}, status=503)
        status = "draining" if readiness.draining else "starting"
        return web.json_response({"status": status}, status=503)

    async def openrpc(request: web.Request) -> web.Response:
        # The document names the address asked; a shared cache must keep one per scheme.
        return web.Response(
            body=discovery.served(request.headers),
            content_type="application/json",
            headers={hdrs.VARY: "X-Forwarded-Proto"},
        )

    async def console(request: web.Request) -> web.FileResponse:
        """The browser console: a static page that calls POST /rpc with fetch."""
        return web.FileResponse(STATIC / "index.html", headers=CONSOLE_HEADERS)

    console_files = {path.name for path in STATIC.iterdir() if path.is_file()}

    async def static(request: web.Request) -> web.FileResponse:
        """One of the console's own files; nothing else on disk is reachable."""
        name = request.match_info["name"]
        if name not in console_files:
            raise web.HTTPNotFound()
        return web.FileResponse(STATIC / name, headers={"X-Content-Type-Options": "nosniff"})

    async def not_found(request: web.Request) -> web.Response:
        raise web.HTTPNotFound()

    wrap = edge.wrap
    return [
        web.post("/rpc", rpc),
        web.get("/rpc", websocket),
        web.options("/rpc", wrap(rpc_preflight)),
        web.route(hdrs.METH_ANY, "/rpc", wrap(rpc_other)),
        web.get("/healthz", wrap(healthz, guarded=False)),
        web.get("/readyz", wrap(readyz, guarded=False)),
        web.get("/openrpc.json", wrap(openrpc)),
        web.get("/", wrap(console)),
        web.get("/static/{name}", wrap(static)),
        web.route(hdrs.METH_ANY, "/{path:.*}", wrap(not_found)),
    ]


async def _read(request: web.Request, timeout_s: float) -> bytes:
    """The whole body, or 408 if the client takes longer than ``timeout_s`` to send it."""
    if request.content.is_eof():  # usually all there already: no timer to arm
        return await request.read()
    try:
        async with asyncio.timeout(timeout_s):
            return await request.read()
    except TimeoutError:
        raise web.HTTPRequestTimeout() from None
