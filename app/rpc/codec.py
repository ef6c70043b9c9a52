"""JSON in and out, exactly, with orjson.

orjson reads integers beyond 64 bits as floats, which silently changes them: such a body is
refused here instead, and normal ones pay only for one ``bytes.translate`` scan at C speed.
orjson reads no NaN or Infinity either. Writing, it refuses integers beyond 64 bits but writes
NaN and Infinity as null: the dispatcher refuses a result that is a non-finite float, but not
one nested inside a result.

Nesting: orjson refuses documents deeper than 1024 levels. The configured, tighter limit
applies to each call's ``params`` (see ``deeper_than``), the only part of a request that is
ever traversed further than one level.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import orjson
from pydantic import BaseModel

from app.rpc.errors import ParseError, TooDeeplyNested
from app.rpc.types import INT_MAX, INT_MIN

# Digits become "0", everything else ".": a run of 19 zeros marks a number that may not fit.
_DIGITS = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x2E for byte in range(256))
_LONG_RUN = b"0" * 19
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|(-?\d+)(\.\d+)?([eE][+-]?\d+)?')


def decode(body: bytes, max_depth: int) -> Any:
    """Parse a request body, refusing what cannot be represented exactly."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "depth" in exc.msg:
            raise TooDeeplyNested(data={"limit": max_depth}) from None
        raise ParseError(
            data={"problem": exc.msg, "line": exc.lineno, "column": exc.colno, "position": exc.pos}
        ) from None
    if _LONG_RUN in body.translate(_DIGITS):
        _check_integer_range(body)
    return value


def deeper_than(value: list[Any] | dict[str, Any], limit: int) -> bool:
    """Whether ``value`` (itself one level) nests more than ``limit`` levels."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        for child in node.values() if type(node) is dict else node:
            if type(child) is list or type(child) is dict:
                stack.append((child, depth + 1))
    return False


def encode(value: Any) -> bytes:
    """Serialize responses; raise ``TypeError`` if something in them cannot be sent exactly."""
    return orjson.dumps(value, default=_default)


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):  # pydantic writes its own JSON, in Rust
        return orjson.Fragment(value.__pydantic_serializer__.to_json(value))
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _check_integer_range(body: bytes) -> None:
    # Only reached when a run of 19+ digits appears; tokenize properly so digits inside
    # strings (card numbers, ids) are not mistaken for numbers.
    for match in _TOKEN.finditer(body):
        digits, fraction, exponent = match.groups()
        if digits is None or fraction is not None or exponent is not None:
            continue
        if not INT_MIN <= int(digits) <= INT_MAX:
            raise ParseError(
                data={
                    "problem": "integer outside the 64-bit range this server reads exactly; "
                    "send it as a string",
                    "position": match.start(),
                    "min": INT_MIN,
                    "max": INT_MAX,
                }
            )
