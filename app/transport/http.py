"""The routes: POST /rpc (and its CORS preflight), health, readiness, the OpenRPC document,
and the browser console (GET / and its files under /static/)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from app.keys import CORS, DISPATCHER, OPENRPC_JSON, REQUEST_ID, STORE
from app.transport.cors import PREFLIGHT_HEADERS

JSON_MEDIA_TYPES = frozenset(
    {"application/json", "application/json-rpc", "application/jsonrequest"}
)


async def rpc(request: web.Request) -> web.Response:
    """JSON-RPC 2.0: one request, a notification or a batch."""
    if request.content_type not in JSON_MEDIA_TYPES:
        raise web.HTTPUnsupportedMediaType()
    body = await request.read()
    out = await request.app[DISPATCHER].dispatch(body, request[REQUEST_ID], _bearer(request))
    if out is None:
        return web.Response(status=204)
    return web.Response(body=out, content_type="application/json")


def _bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def rpc_preflight(request: web.Request) -> web.Response:
    """Answer a browser's CORS preflight; the edge middleware adds the origin itself."""
    response = web.Response(status=204, headers={"Allow": "POST, OPTIONS"})
    origin = request.headers.get("Origin")
    if (
        origin is not None
        and "Access-Control-Request-Method" in request.headers
        and request.app[CORS].allows(origin)
    ):
        response.headers.update(PREFLIGHT_HEADERS)
    return response


async def healthz(request: web.Request) -> web.Response:
    """Liveness: 200 while the process serves."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: 200 once the store is open, 503 while starting or shutting down."""
    store = request.app[STORE]
    if store.ready:
        return web.json_response({"status": "ready"})
    return web.json_response({"status": "draining" if store.draining else "starting"}, status=503)


async def openrpc_json(request: web.Request) -> web.Response:
    return web.Response(body=request.app[OPENRPC_JSON], content_type="application/json")


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


async def console(request: web.Request) -> web.FileResponse:
    """The browser console: a static page that calls POST /rpc with fetch."""
    return web.FileResponse(STATIC / "index.html", headers=CONSOLE_HEADERS)


routes = [
    web.post("/rpc", rpc),
    web.options("/rpc", rpc_preflight),
    web.get("/healthz", healthz),
    web.get("/readyz", readyz),
    web.get("/openrpc.json", openrpc_json),
    web.get("/", console),
    web.static("/static", STATIC),
]
