"""What every response passes through at the edge: a request id, identity and CORS headers,
and HTTP-level refusals turned into JSON-RPC error bodies, so no HTML page ever leaves.

This is deliberately not an aiohttp middleware. With no middleware aiohttp skips its
middleware machinery (a cached chain, a partial, a context manager per request), which the
benchmark showed costs as much as our whole per-call protocol work. Routes are wrapped
instead (``Edge.wrap``), and POST /rpc calls the same pieces inline.
"""

from __future__ import annotations

import collections
import itertools
import logging
import math
import re
import secrets
import uuid
from typing import Any

import orjson
from aiohttp import hdrs, web
from aiohttp.typedefs import Handler
from multidict import istr

from app.rpc.errors import InternalError, InvalidRequest, Overloaded, ParseError, RPCError
from app.rpc.meter import Throttled
from app.transport.cors import CorsPolicy
from app.transport.hosts import HostPolicy

log = logging.getLogger("app.transport")

SERVER_NAME = "rpc-hub"
REFUSALS = frozenset({400, 403, 404, 405, 408, 413, 415, 429, 503})
"""Statuses that mean "we said no": logged (rate-limited by the log's flood filter)."""
X_REQUEST_ID = istr("X-Request-ID")
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")


class Refused(web.HTTPForbidden):
    """A 403 whose JSON-RPC body says what to change."""

    def __init__(self, message: str, data: dict[str, Any], kind: str = "") -> None:
        super().__init__()
        self.message = message
        self.data = data
        self.kind = kind or next(iter(data), "")
        """What was refused, for the metrics: ``host``, ``origin`` or ``scope``."""


class Shed(web.HTTPServiceUnavailable):
    """A 503 sent before any work: the server already serves as many requests as it may."""

    message = "Server overloaded: too many requests in flight; retry after Retry-After"
    retry_after_s = 1

    def __init__(self, limit: int) -> None:
        super().__init__(headers={hdrs.RETRY_AFTER: str(self.retry_after_s)})
        self.limit = limit

    def error(self) -> Overloaded:
        """The JSON-RPC error it answers with (over a WebSocket, in place of the 503)."""
        return Overloaded(
            self.message, data={"limit": self.limit, "retry_after_s": self.retry_after_s}
        )


class StreamsFull(Shed):
    """A 503 for a WebSocket or event stream past ``max_streams``."""

    message = (
        "Too many live connections: the server holds as many WebSocket sessions and event "
        "streams as it may; retry after Retry-After"
    )
    retry_after_s = 5


class Edge:
    def __init__(
        self,
        cors: CorsPolicy,
        max_body_bytes: int,
        hosts: HostPolicy,
        read_timeout_s: float = 15.0,
    ) -> None:
        self._cors = cors if cors.origins or cors.any_origin else None
        self._max_body_bytes = max_body_bytes
        self._hosts = hosts
        self.read_timeout_s = read_timeout_s
        self.refused: collections.Counter[int] = collections.Counter()
        """Refusals by HTTP status, for the operator (and the metrics)."""
        self.forbidden: collections.Counter[str] = collections.Counter()
        """403s by what was refused: a ``host`` or an ``origin``."""
        self._prefix = secrets.token_hex(6)
        self._counter = itertools.count(1)

    def request_id(self, request: web.Request) -> str:
        """The client's X-Request-ID if it is safe to echo and log, else a fresh one."""
        request_id = request.headers.get(X_REQUEST_ID)
        if request_id is None or _SAFE_REQUEST_ID.fullmatch(request_id) is None:
            return f"{self._prefix}-{next(self._counter):x}"
        return request_id

    def guard(self, request: web.Request, *, check_origin: bool) -> bool:
        """Raise ``Refused`` for a Host we do not serve, or a browser Origin we do not trust.

        Return whether the request comes from a page let in only by ``RPC_CORS_ORIGINS=*``.
        """
        headers = request.headers
        host = headers.get(hdrs.HOST)
        if not self._hosts.allows_host(host):
            raise Refused(
                "Forbidden: this server does not answer to that Host; its operator can add it "
                "to RPC_ALLOWED_HOSTS",
                {"host": (host or "")[:100]},
            )
        if check_origin:
            origin = headers.get(hdrs.ORIGIN)
            if origin is None:  # not a browser page (curl, scripts): nothing more to judge
                return False
            if not self._hosts.allows_origin(origin, request.scheme, host):
                raise Refused(
                    "Forbidden: pages from that Origin may not call this server; its operator "
                    "can allow it with RPC_CORS_ORIGINS",
                    {"origin": (origin or "")[:100]},
                )
            return self._hosts.only_by_wildcard(origin, request.scheme, host)
        return False

    def finish(
        self, request: web.Request, response: web.StreamResponse, request_id: str
    ) -> web.StreamResponse:
        """Add the headers every response carries; log each refusal once."""
        if response.status in REFUSALS:
            self.refused[response.status] += 1
            log.info(
                "refused %s %s: %d (request %s, client %s)",
                request.method,
                request.path[:100],
                response.status,
                request_id,
                request.remote,
            )
        headers = response.headers
        headers[hdrs.SERVER] = SERVER_NAME
        headers[X_REQUEST_ID] = request_id
        if self._cors is not None:
            origin = request.headers.get(hdrs.ORIGIN)
            if origin is not None:
                vary = headers.get(hdrs.VARY)  # a route's own Vary (GET /openrpc.json) stays
                headers[hdrs.VARY] = f"{vary}, Origin" if vary else "Origin"
                if self._cors.allows(origin):
                    headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = origin
                    headers[hdrs.ACCESS_CONTROL_EXPOSE_HEADERS] = "X-Request-ID"
        return response

    def refusal(self, request: web.Request, exc: web.HTTPException) -> web.Response:
        """The JSON-RPC error body for an HTTP-level refusal, with a message saying what to do."""
        status = exc.status
        data: dict[str, Any] | None = None
        error_type: type[RPCError] = InternalError if status >= 500 else InvalidRequest
        if isinstance(exc, Refused):
            message, data = exc.message, exc.data
            self.forbidden[exc.kind] += 1
        elif isinstance(exc, Shed):
            error = exc.error()
            message, data, error_type = error.message, error.data, Overloaded
        elif status == 408:
            message = (
                f"Request Timeout: the body did not arrive within {self.read_timeout_s} s; "
                "send it at once"
            )
            data = {"timeout_s": self.read_timeout_s}
        elif status == 404:
            message = "Not Found: JSON-RPC is served at POST /rpc"
        elif status == 405:
            message = "Method Not Allowed: send JSON-RPC requests with POST"
            data = {"allowed": exc.headers.get(hdrs.ALLOW, "POST, OPTIONS")}
        elif status == 413:
            limit = self._max_body_bytes
            message = f"Request body too large: the limit is {limit} bytes; send smaller batches"
            data = {"limit": limit}
        elif status == 415:
            message = "Unsupported Media Type: send Content-Type: application/json"
            data = {"received": request.headers.get(hdrs.CONTENT_TYPE)}
        else:
            message = exc.reason
        response = error_response(status, error_type(message, data=data))
        for header in (hdrs.ALLOW, hdrs.RETRY_AFTER):
            if header in exc.headers:
                response.headers[header] = exc.headers[header]
        if status == 408:
            response.force_close()  # the rest of the body may still come: not on this connection
        return response

    def throttled(self, exc: Throttled) -> web.Response:
        """429 for a request none of whose calls fits its caller's rate limit."""
        response = error_response(429, exc.error)
        response.headers[hdrs.RETRY_AFTER] = str(max(1, math.ceil(exc.retry_after_s)))
        return response

    def unreadable(self, request: web.Request) -> web.Response:
        """400 for a body that cannot be decoded as its Content-Encoding says."""
        encoding = request.headers.get(hdrs.CONTENT_ENCODING, "")[:40]
        # The same data keys as every parse error; no place in JSON text is to blame: null.
        error = ParseError.at(
            f"the body is not valid {encoding}: it does not decode as Content-Encoding says",
            None,
            None,
            None,
            message="Bad Request: the body could not be decoded; send plain JSON, or valid gzip "
            "or deflate with a matching Content-Encoding",
        )
        response = error_response(400, error)
        # The rest of the body cannot be parsed either: drop it and the connection, or
        # aiohttp would try to drain it after the answer and log the same error again.
        request.content.feed_eof()
        response.force_close()
        return response

    def crash(self, request: web.Request, request_id: str) -> web.Response:
        """Last resort for an unexpected error outside the protocol engine: log it, say 500."""
        correlation_id = uuid.uuid4().hex
        log.exception(
            "unhandled error serving %s %s (request %s, correlation %s)",
            request.method,
            request.path,
            request_id,
            correlation_id,
        )
        return error_response(500, InternalError(data={"correlation_id": correlation_id}))

    def wrap(self, handler: Handler, *, guarded: bool = True) -> Handler:
        """``handler`` with the edge's headers and error bodies, behind the Host check
        unless ``guarded`` is false (health checks come from probes that name no host)."""

        async def edged(request: web.Request) -> web.StreamResponse:
            request_id = self.request_id(request)
            try:
                if guarded:
                    self.guard(request, check_origin=False)
                response = await handler(request)
            except web.HTTPException as exc:
                response = self.refusal(request, exc)
            except Exception:
                response = self.crash(request, request_id)
            return self.finish(request, response, request_id)

        return edged


def error_body(error: RPCError) -> bytes:
    """A JSON-RPC error response with id null: the body of every refusal."""
    return orjson.dumps({"jsonrpc": "2.0", "error": error.to_error(), "id": None})


def error_response(status: int, error: RPCError) -> web.Response:
    return web.Response(status=status, body=error_body(error), content_type="application/json")
