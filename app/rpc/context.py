"""Per-call facts a handler can ask for by annotating a parameter with ``CallContext``."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from types import MappingProxyType

from app.rpc.access import ANONYMOUS, Principal
from app.rpc.errors import StreamRequired
from app.rpc.session import Stream
from app.rpc.subscriptions import Subscription


@dataclass(frozen=True, slots=True)
class CallContext:
    request_id: str
    """The HTTP request's X-Request-ID, shared by every call of a batch."""
    method: str
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """The transport's request headers (case-insensitive for HTTP)."""
    principal: Principal = ANONYMOUS
    """Who makes the call, as the transport established it."""
    stream: Stream | None = None
    """The connection, when it can carry notifications (a WebSocket, an event stream)."""

    def subscription(self, namespace: str) -> AbstractAsyncContextManager[Subscription]:
        """Open a subscription on this call's stream (see ``Stream.subscription``);
        -32007 over plain HTTP."""
        return self.require_stream().subscription(namespace)

    def require_stream(self) -> Stream:
        if self.stream is None:
            raise StreamRequired(data={"method": self.method})
        return self.stream
