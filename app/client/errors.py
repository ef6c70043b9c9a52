"""The client's own exceptions, beside the ``app.rpc.errors`` classes it raises by code::

Exception
├── RPCError (app.rpc.errors)      a JSON-RPC error came back, raised as its code's class
│   └── RemoteError                ... a code this client has no class for
├── TransportError                 the answer was not JSON-RPC (an HTTP error page, say)
└── ConnectionError (builtin)
    └── ConnectionLost             the WebSocket closed before the answer (or while following)

Both clients (HTTP and WebSocket) turn an error object into an exception with ``Errors``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.rpc.errors import (
    CallTimeout,
    Forbidden,
    InternalError,
    InvalidParams,
    InvalidRequest,
    MethodNotFound,
    Overloaded,
    ParseError,
    RateLimited,
    RPCError,
    ServerError,
    Unauthorized,
)

STANDARD: tuple[type[RPCError], ...] = (
    ParseError,
    InvalidRequest,
    MethodNotFound,
    InvalidParams,
    InternalError,
    Unauthorized,
    Forbidden,
    RateLimited,
    CallTimeout,
    Overloaded,
)


class RemoteError(RPCError):
    """A JSON-RPC error whose code this client has no class for."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message, data=data)
        self.code = code


class TransportError(Exception):
    """The server answered with something that is not JSON-RPC (an HTTP error page, say)."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"HTTP {status}: {body[:200]!r}")
        self.status = status


class ConnectionLost(ConnectionError):
    """The WebSocket closed (or could not be opened again) before the answer came.

    A call that was sent may have run. ``code`` is the close code, when the server sent one:
    1001 the server shut down, 1013 this client was cut off for reading too slowly.
    """

    def __init__(self, code: int | None, reason: str = "") -> None:
        detail = f"close code {code}" if code is not None else "no close code"
        super().__init__(f"the WebSocket closed ({detail}{': ' + reason if reason else ''})")
        self.code = code
        self.reason = reason


class Errors:
    """Error objects to exceptions: the standard codes, the given domain classes, the rest."""

    def __init__(self, domain: Iterable[type[RPCError]] = ()) -> None:
        self._known = {error.code: error for error in (*STANDARD, *domain)}

    def exception(self, error: dict[str, Any]) -> RPCError:
        code, message, data = error["code"], error["message"], error.get("data")
        known = self._known.get(code)
        if known is not None:
            return known(message, data=data)
        if -32099 <= code <= -32000:
            exc = ServerError(message, data=data)
            exc.code = code
            return exc
        return RemoteError(code, message, data)
