"""What the server serves: plugins, each of namespaces and the stores they need.

A ``Plugin`` pairs namespaces with a ``Provider`` for each store Protocol their handlers
ask for. The built-in namespaces are one plugin; ``--plugins package.module:attribute``
adds more, naming a Plugin, a Namespace (which needs no store) or a sequence of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.references import resolve
from app.rpc.namespace import Namespace
from app.stores import Backend, StartupError, StoreContext

BackendFactory = Callable[[StoreContext], Backend]


@dataclass(frozen=True, slots=True)
class Provider:
    """How to build the store behind one Protocol, for each kind of backend."""

    protocol: type[Any]
    memory: BackendFactory
    """The in-process backend: state lives as long as the process."""
    redis: BackendFactory | None = None
    """The backend on Redis: state shared by replicas and kept across restarts."""

    def build(self, context: StoreContext) -> Backend:
        """The backend the settings choose: memory, or Redis where ``store`` names one."""
        factory = self.memory
        if context.redis is not None:
            if self.redis is None:
                raise StartupError(
                    f"{self.protocol.__name__} has no Redis backend: serve it with RPC_STORE=memory"
                )
            factory = self.redis
        store = factory(context)
        implements = isinstance(store, self.protocol)  # apart, so `store` keeps its type
        if not implements:
            raise TypeError(f"{type(store).__name__} does not implement {self.protocol.__name__}")
        return store


@dataclass(frozen=True, slots=True)
class Plugin:
    """Namespaces, and the stores their handlers need."""

    namespaces: Sequence[Namespace]
    stores: Sequence[Provider] = field(default_factory=list)


def load_plugins(references: Iterable[str]) -> list[Plugin]:
    """Import each `module:attribute` (see `app.references`): a Plugin, a Namespace, or a
    sequence of them."""
    plugins: list[Plugin] = []
    for reference in references:
        found = resolve(reference)
        items = found if isinstance(found, list | tuple) else [found]
        for item in items:
            if isinstance(item, Plugin):
                plugins.append(item)
            elif isinstance(item, Namespace):
                plugins.append(Plugin([item]))
            else:
                raise ValueError(f"plugin {reference!r} is not a Plugin or a Namespace")
    return plugins
