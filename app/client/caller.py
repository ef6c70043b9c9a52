"""What both clients offer code that only makes calls, so it can run over either."""

from __future__ import annotations

from typing import Any, Protocol


class Caller(Protocol):
    """A JSON-RPC client: ``Client`` (HTTP) or ``WsClient`` (one WebSocket)."""

    @property
    def url(self) -> str: ...

    async def call(
        self, method: str, /, *args: Any, retry: bool | None = None, **kwargs: Any
    ) -> Any: ...
