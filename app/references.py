"""`module:attribute` references, as `serve --plugins` and `worker --plugin` take them."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any


def resolve(reference: str) -> Any:
    """The object `reference` names; ValueError if it is not `module:attribute`.

    Modules are found from the current directory too, as uvicorn finds apps: the `rpc-hub`
    console script does not put it on `sys.path` by itself.
    """
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"plugin {reference!r} must look like package.module:attribute")
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())  # last: it must not shadow installed modules
    return getattr(importlib.import_module(module_name), attribute)
