"""Every error a JSON-RPC client can receive, as one tree.

    RPCError                          code, message, data: what goes on the wire
    ├── ParseError           -32700   the body is not JSON we can read
    ├── InvalidRequest       -32600   not a valid Request object, or a rejected envelope
    │   ├── BatchTooLarge    -32600   more batch items than the server accepts
    │   └── TooDeeplyNested  -32600   JSON nested deeper than the server accepts
    ├── MethodNotFound       -32601
    ├── InvalidParams        -32602   data lists each bad field: path, problem, value
    ├── InternalError        -32603   data holds only a correlation id; the rest is logged
    ├── ServerError          -32000   server and policy errors, -32000 to -32099
    │   ├── Unauthorized     -32001
    │   ├── Forbidden        -32002
    │   ├── RateLimited      -32003
    │   ├── CallTimeout      -32004
    │   ├── Overloaded       -32005
    │   ├── QuotaExceeded    -32006   a caller's own cap (tasks, seats, subscriptions)
    │   └── StreamRequired   -32007   a subscription asked for over plain HTTP
    └── DomainError                   application errors; each concrete one owns a stable code
        ├── NotFound                  (a category: the thing named does not exist)
        ├── Conflict                  (a category: the request clashes with current state)
        └── InvalidState              (a category: not allowed in the current state)

Concrete domain errors live next to the code that raises them and subclass a category,
for example ``class CityNotFound(NotFound): code = 2001``. The registry checks at start-up
that no two errors share a code.

This module imports nothing from the project, so every layer (store and handlers included)
can raise these without depending on the protocol engine.
"""

from __future__ import annotations

from typing import Any


class RPCError(Exception):
    """An error that is sent to the client as a JSON-RPC error object."""

    code: int
    message: str = "Error"

    def __init__(self, message: str | None = None, *, data: Any = None) -> None:
        if message is not None:
            self.message = message
        self.data = data
        super().__init__(self.message)

    def to_error(self) -> dict[str, Any]:
        """The JSON-RPC error object for this error."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


class ParseError(RPCError):
    """The body is not JSON we can read. ``data`` has the same keys for every cause (see ``at``),
    so a client reads one shape."""

    code = -32700
    message = "Parse error"

    @classmethod
    def at(
        cls,
        problem: str,
        line: int | None,
        column: int | None,
        position: int | None,
        message: str | None = None,
    ) -> ParseError:
        """The error for ``problem`` found at ``line`` and ``column`` (1-based) and ``position``
        (0-based, in characters); all three None where no place in the JSON text is to blame."""
        data = {"problem": problem, "line": line, "column": column, "position": position}
        return cls(message, data=data)


class InvalidRequest(RPCError):
    code = -32600
    message = "Invalid Request"


class BatchTooLarge(InvalidRequest):
    message = "Batch too large"


class TooDeeplyNested(InvalidRequest):
    message = "JSON nested too deeply"


class MethodNotFound(RPCError):
    code = -32601
    message = "Method not found"


class InvalidParams(RPCError):
    code = -32602
    message = "Invalid params"


class InternalError(RPCError):
    code = -32603
    message = "Internal error"


class ServerError(RPCError):
    code = -32000
    message = "Server error"


class Unauthorized(ServerError):
    code = -32001
    message = "Unauthorized"


class Forbidden(ServerError):
    code = -32002
    message = "Forbidden"


class RateLimited(ServerError):
    code = -32003
    message = "Rate limited"


class CallTimeout(ServerError):
    code = -32004
    message = "Call timed out"


class Overloaded(ServerError):
    code = -32005
    message = "Server overloaded"


class QuotaExceeded(ServerError):
    """The caller already holds as many of something (carts, tasks, seats) as one caller may;
    ``data`` names the ``resource`` and its ``limit``. Shared caps stay -32005."""

    code = -32006
    message = "Quota exceeded"


class StreamRequired(ServerError):
    """A subscription asked for over plain HTTP, which cannot carry notifications."""

    code = -32007
    message = (
        "Subscriptions need a stream: call this over a WebSocket (GET /rpc), or POST it "
        "with Accept: text/event-stream"
    )


class DomainError(RPCError):
    """Base of application errors. Concrete subclasses set ``code`` (outside -32768..-32000)."""


class NotFound(DomainError):
    """The thing named does not exist (or is not visible to the caller)."""


class Conflict(DomainError):
    """The request clashes with the current state, such as a reused idempotency key."""


class InvalidState(DomainError):
    """The operation is not allowed in the current state."""


RESERVED_CODES = range(-32768, -31999)
"""Codes the JSON-RPC spec reserves; no domain error may use one."""
