"""Per-call facts a handler can ask for by annotating a parameter with ``CallContext``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from app.rpc.access import ANONYMOUS, Principal


@dataclass(frozen=True, slots=True)
class CallContext:
    request_id: str
    """The HTTP request's X-Request-ID, shared by every call of a batch."""
    method: str
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """The transport's request headers (case-insensitive for HTTP)."""
    principal: Principal = ANONYMOUS
    """Who makes the call, as the transport established it."""
