"""Per-call facts a handler can ask for by annotating a parameter with ``CallContext``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CallContext:
    request_id: str
    """The HTTP request's X-Request-ID, shared by every call of a batch."""
    method: str
    token: str | None = None
    """The bearer credential from the Authorization header, if any. Never log it."""
