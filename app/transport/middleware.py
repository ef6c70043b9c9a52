"""The one middleware at the edge: request ids, CORS and identity headers, and turning every
HTTP error into a JSON-RPC error body so that no HTML error page ever leaves the server.
"""

from __future__ import annotations

import itertools
import logging
import re
import secrets
import uuid
from typing import Any

import orjson
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from app.keys import REQUEST_ID, SETTINGS
from app.rpc.errors import InternalError, InvalidRequest, RPCError
from app.transport.cors import CorsPolicy

log = logging.getLogger("app.transport")

SERVER_NAME = "rpc-hub"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")


class _RequestIds:
    """Cheap unique ids: a random per-process prefix and a counter."""

    def __init__(self) -> None:
        self._prefix = secrets.token_hex(6)
        self._counter = itertools.count(1)

    def next(self) -> str:
        return f"{self._prefix}-{next(self._counter):x}"


def edge(cors: CorsPolicy) -> Middleware:
    ids = _RequestIds()

    @web.middleware
    async def edge_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        request_id = request.headers.get("X-Request-ID")
        if request_id is None or _SAFE_REQUEST_ID.fullmatch(request_id) is None:
            request_id = ids.next()
        request[REQUEST_ID] = request_id
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            response = _http_error(request, exc)
        except Exception:
            correlation_id = uuid.uuid4().hex
            log.exception(
                "unhandled error serving %s %s (request %s, correlation %s)",
                request.method,
                request.path,
                request_id,
                correlation_id,
            )
            error = InternalError(data={"correlation_id": correlation_id})
            response = _error_response(500, error)
        headers = response.headers
        headers["X-Request-ID"] = request_id
        headers["Server"] = SERVER_NAME
        origin = request.headers.get("Origin")
        if origin is not None:
            headers["Vary"] = "Origin"
            if cors.allows(origin):
                headers["Access-Control-Allow-Origin"] = origin
                headers["Access-Control-Expose-Headers"] = "X-Request-ID"
        return response

    return edge_middleware


def _http_error(request: web.Request, exc: web.HTTPException) -> web.Response:
    """The JSON-RPC error body for an HTTP-level refusal, with a message saying what to do."""
    status = exc.status
    data: dict[str, Any] | None = None
    if status == 404:
        message = "Not Found: JSON-RPC is served at POST /rpc"
    elif status == 405:
        message = "Method Not Allowed: send JSON-RPC requests with POST"
        data = {"allowed": exc.headers.get("Allow", "POST, OPTIONS")}
    elif status == 413:
        limit = request.app[SETTINGS].max_body_bytes
        message = f"Request body too large: the limit is {limit} bytes; send smaller batches"
        data = {"limit": limit}
    elif status == 415:
        message = "Unsupported Media Type: send Content-Type: application/json"
        data = {"received": request.headers.get("Content-Type")}
    else:
        message = exc.reason
    error: RPCError = (InternalError if status >= 500 else InvalidRequest)(message, data=data)
    response = _error_response(status, error)
    if "Allow" in exc.headers:
        response.headers["Allow"] = exc.headers["Allow"]
    return response


def _error_response(status: int, error: RPCError) -> web.Response:
    body = orjson.dumps({"jsonrpc": "2.0", "error": error.to_error(), "id": None})
    return web.Response(status=status, body=body, content_type="application/json")
