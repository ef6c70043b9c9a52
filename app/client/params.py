"""JSON-RPC params from a Python call's arguments, checked before they are sent."""

from __future__ import annotations

import math
from typing import Any


def to_params(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, ...] | dict[str, Any] | None:
    """Positional or named params (not both), or None for none."""
    if args and kwargs:
        raise TypeError("JSON-RPC params are either positional or named, not both")
    given = kwargs or args or None
    _check_finite(given)
    return given


def _check_finite(value: Any) -> None:
    """Refuse NaN and infinities, which orjson would silently send as ``null``."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} cannot be sent: JSON has no NaN or infinity")
    elif isinstance(value, dict):
        for item in value.values():
            _check_finite(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_finite(item)
