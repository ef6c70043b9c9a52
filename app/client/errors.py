"""The client's own exceptions, beside the ``app.rpc.errors`` classes it raises by code::

Exception
├── RPCError (app.rpc.errors)      a JSON-RPC error came back, raised as its code's class
│   └── RemoteError                ... a code this client has no class for
└── TransportError                 the answer was not JSON-RPC (an HTTP error page, say)
"""

from __future__ import annotations

from typing import Any

from app.rpc.errors import RPCError


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
