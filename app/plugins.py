"""Load extra namespaces named as ``module:attribute`` (the ``plugins`` setting)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from app.rpc.namespace import Namespace


def load_namespaces(references: Iterable[str]) -> list[Namespace]:
    """Import each ``module:attribute``; it must name a Namespace or a sequence of them."""
    namespaces: list[Namespace] = []
    for reference in references:
        module_name, _, attribute = reference.partition(":")
        if not module_name or not attribute:
            raise ValueError(f"plugin {reference!r} must look like package.module:attribute")
        found = getattr(importlib.import_module(module_name), attribute)
        items = [found] if isinstance(found, Namespace) else found
        if not isinstance(items, list | tuple) or not all(
            isinstance(item, Namespace) for item in items
        ):
            raise ValueError(f"plugin {reference!r} is not a Namespace")
        namespaces.extend(items)
    return namespaces
