"""The stores of one app: built from its plugins, opened, drained and closed together."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.plugins import Plugin
from app.stores import Backend, StoreContext


class Stores:
    """One backend per store Protocol, and whether they can serve."""

    def __init__(self, plugins: Sequence[Plugin], context: StoreContext) -> None:
        self.by_protocol: dict[type[Any], Backend] = {}
        for plugin in plugins:
            for provider in plugin.stores:
                if provider.protocol in self.by_protocol:
                    raise ValueError(f"two plugins provide {provider.protocol.__name__}")
                self.by_protocol[provider.protocol] = provider.build(context)
        self._open = False
        self._draining = False

    async def open(self) -> None:
        for backend in self.by_protocol.values():
            await backend.open()
        self._open = True

    def drain(self) -> None:
        """The server is stopping: refuse to look ready, and let long-polls return early."""
        self._draining = True
        for backend in self.by_protocol.values():
            backend.drain()

    async def close(self) -> None:
        self._open = False
        for backend in reversed(self.by_protocol.values()):
            await backend.close()

    @property
    def ready(self) -> bool:
        return self._open and not self._draining

    @property
    def draining(self) -> bool:
        return self._draining
