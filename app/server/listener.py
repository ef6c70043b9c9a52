"""The listening socket: a cap on open connections, a deadline for each request's headers,
and JSON bodies for the errors aiohttp answers by itself (malformed HTTP).

aiohttp has neither a connection cap nor a header timeout (an idle connection is closed
only after the keep-alive timeout), and its own 400s are text that quotes the request.
So the site builds the connection protocol itself: a ``GuardedHandler`` per connection,
or, past the cap, a ``_Turnaway`` that answers 503 and closes before any request is read.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any, cast

from aiohttp import web, web_protocol
from aiohttp.web_request import BaseRequest

from app.rpc.errors import InternalError, InvalidRequest, Overloaded, RPCError
from app.transport.edge import error_body, error_response

log = logging.getLogger("app.transport")


def _raw_response(status: str, error: RPCError, *extra: str) -> bytes:
    """A whole HTTP/1.1 response that closes the connection, for before aiohttp is involved."""
    body = error_body(error)
    head = [
        f"HTTP/1.1 {status}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *extra,
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class GuardedHandler(web_protocol.RequestHandler):
    """aiohttp's connection protocol, with a deadline for the headers of each request."""

    __slots__ = ("_count_when_armed", "_headers_due", "_listener", "_read_timeout_s")

    def __init__(
        self, manager: web.Server, listener: Listener, read_timeout_s: float, **kwargs: Any
    ) -> None:
        super().__init__(manager, **kwargs)
        self._listener = listener
        self._read_timeout_s = read_timeout_s
        self._headers_due: asyncio.TimerHandle | None = None
        self._count_when_armed = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._listener.open += 1
        super().connection_made(transport)
        self._arm()  # a client that connects and says nothing gets the same deadline

    def data_received(self, data: bytes) -> None:
        # Bytes arriving while no request is in progress begin the next request's headers.
        waiting = self._waiter is not None and not self._waiter.done()
        count = self._request_count
        super().data_received(data)
        if self._request_count != count:
            self._disarm()  # the headers are complete; the body has a deadline of its own
        elif waiting and self._headers_due is None:
            self._arm()

    def connection_lost(self, exc: BaseException | None) -> None:
        self._listener.open -= 1
        self._disarm()
        super().connection_lost(exc)

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """JSON instead of aiohttp's text, echoing nothing of what the client sent."""
        self._listener.refused[status] += 1
        log.info(
            "refused malformed HTTP from %s: %d (%s)",
            request.remote,
            status,
            type(exc).__name__ if exc else "no detail",
        )
        if request.writer.output_size > 0:  # an answer has begun: too late for another
            raise ConnectionError("response already started")
        error: RPCError
        if status >= 500:
            error = InternalError()
        else:
            error = InvalidRequest(
                "Bad Request: malformed HTTP; send an HTTP/1.1 POST with JSON to /rpc",
                data={"status": status},
            )
        response = error_response(status, error)
        response.force_close()
        return response

    def _arm(self) -> None:
        self._count_when_armed = self._request_count
        self._headers_due = self._loop.call_later(self._read_timeout_s, self._headers_late)

    def _disarm(self) -> None:
        if self._headers_due is not None:
            self._headers_due.cancel()
            self._headers_due = None

    def _headers_late(self) -> None:
        self._headers_due = None
        transport = self.transport
        if self._request_count != self._count_when_armed or transport is None:
            return
        self._listener.refused[408] += 1
        peer = transport.get_extra_info("peername")
        log.info("refused: no request headers within %s s from %s: 408", self._read_timeout_s, peer)
        transport.write(self._timeout_answer())
        self.force_close()

    def _timeout_answer(self) -> bytes:
        error = InvalidRequest(
            f"Request Timeout: the headers did not arrive within {self._read_timeout_s} s",
            data={"timeout_s": self._read_timeout_s},
        )
        return _raw_response("408 Request Timeout", error)


class _Turnaway(asyncio.Protocol):
    """A connection past the cap: answered 503 and closed before it holds anything."""

    def __init__(self, answer: bytes) -> None:
        self._answer = answer

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        cast(asyncio.Transport, transport).write(self._answer)
        transport.close()


class Listener:
    """The protocol factory of the listening socket: one call per accepted connection."""

    def __init__(
        self,
        server: web.Server,
        *,
        max_connections: int,
        read_timeout_s: float,
        keepalive_s: float,
        refused: Counter[int],
    ) -> None:
        self._server = server
        self.refused = refused
        """Refusals by HTTP status, shared with the edge: counted wherever they happen."""
        self._max = max_connections
        self._read_timeout_s = read_timeout_s
        self._keepalive_s = keepalive_s
        self.open = 0
        """Connections open now (counted here: aiohttp's list is rebuilt on every read)."""
        error = Overloaded(
            "Server overloaded: too many open connections; retry after Retry-After",
            data={"limit": max_connections, "retry_after_s": 1},
        )
        self._full = _raw_response("503 Service Unavailable", error, "Retry-After: 1")

    def __call__(self) -> asyncio.BaseProtocol:
        if self.open >= self._max:
            self.refused[503] += 1
            log.info("refused a connection: %d open (RPC_MAX_CONNECTIONS): 503", self._max)
            return _Turnaway(self._full)
        return GuardedHandler(
            self._server,
            self,
            self._read_timeout_s,
            loop=asyncio.get_running_loop(),
            keepalive_timeout=self._keepalive_s,
            access_log=None,
        )


class GuardedSite(web.BaseSite):
    """A TCP site whose connections a ``Listener`` makes."""

    __slots__ = ("_host", "_listener", "_port", "_reuse_port", "listener")

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str,
        port: int,
        *,
        reuse_port: bool = False,
        **listener: Any,
    ) -> None:
        """``reuse_port``: share the port with the other server processes (the kernel spreads
        new connections over them)."""
        super().__init__(runner)
        self._host = host
        self._port = port
        self._reuse_port = reuse_port
        self._listener = listener
        self.listener: Listener | None = None
        """The protocol factory, once started: it counts the open connections."""

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        if server is None:
            raise RuntimeError("the runner is not set up")
        loop = asyncio.get_running_loop()
        factory = self.listener = Listener(server, **self._listener)
        self._server = await loop.create_server(
            factory, self._host, self._port, reuse_port=self._reuse_port or None
        )
