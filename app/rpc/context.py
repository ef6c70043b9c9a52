"""Per-call facts a handler can ask for by annotating a parameter with ``CallContext``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class CallContext:
    request_id: str
    """The HTTP request's X-Request-ID, shared by every call of a batch."""
    method: str
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """The transport's request headers (case-insensitive for HTTP)."""

    @property
    def token(self) -> str | None:
        """The bearer credential from the Authorization header, if any. Never log it."""
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return token.strip()
