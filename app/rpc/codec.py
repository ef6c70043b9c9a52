"""JSON in and out, exactly, with orjson.

orjson reads an integer beyond 64 bits as a float (past about 1e308 it refuses it as
infinity), which would silently change it. A body that may hold one is read again with the
standard library, which keeps each such integer as a ``BigInt``: the dispatcher then refuses
just the request it sits in (an id: -32600; in params: -32602), not the whole body. Normal
bodies pay only for one ``bytes.translate`` scan at C speed. orjson reads no NaN or Infinity
either. Writing, it refuses integers beyond 64 bits but writes NaN and Infinity as null: the
dispatcher refuses a result that is a non-finite float, but not one nested inside a result.

Every parse error has the same ``data`` (``ParseError.at``): the problem, and the line,
column and position (in characters) where reading stopped; for bytes that are not UTF-8,
those of the first bad byte.

Nesting: orjson refuses documents deeper than 1024 levels. The configured, tighter limit
applies to each call's ``params`` (see ``deeper_than``), the only part of a request that is
ever traversed further than one level.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import orjson
from pydantic import BaseModel

from app.rpc.errors import ParseError, RPCError, TooDeeplyNested
from app.rpc.types import INT_MAX, INT_MIN

# Digits become "0", everything else ".": a run of 19 zeros marks a number that may not fit.
_DIGITS = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x2E for byte in range(256))
_LONG_RUN = b"0" * 19
_FITS = 19
"""Longest integer literal (sign included) that always fits: 20 characters may not."""
_INFINITE = "number is infinity when parsed as double"
"""orjson's refusal of a number past the float range, an integer literal included."""
_HUGE_INT = re.compile(rb"(?<![\d.eE+-])-?\d{300,}(?![\d.eE])")
"""An integer literal orjson may read as infinity (or digits in a string: harmless here)."""
_OPEN = "too many arrays or objects left open (is the JSON cut short?)"
"""What orjson's "failed to allocate memory" means for a request body: a truncated one."""
OUT_OF_RANGE = (
    "outside the 64-bit range this server reads exactly ([-2^63, 2^64-1]); send it as a string"
)
"""Why a ``BigInt`` is refused, after the words that name it."""


class BigInt(str):
    """An integer literal beyond 64 bits, kept as its digits: the request holding it is
    refused where it sits. A ``str`` so that logs and error data can show it."""

    __slots__ = ()


def decode(body: bytes, max_depth: int) -> tuple[Any, bool]:
    """Parse a request body; also say whether it holds integers beyond 64 bits (as
    ``BigInt``). Raise ``ParseError``, or ``TooDeeplyNested`` past orjson's nesting limit."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if exc.msg != _INFINITE:
            raise _refusal(exc, body, max_depth) from None
        # Perhaps a huge integer: check the rest with it blanked out (lengths, and so
        # positions, kept), then read the body exactly.
        blanked = _HUGE_INT.sub(_blank, body)
        if blanked == body:
            raise _refusal(exc, body, max_depth) from None
        try:
            orjson.loads(blanked)
        except orjson.JSONDecodeError as again:
            raise _refusal(again, body, max_depth) from None
        return _exact(body, max_depth)
    if _LONG_RUN in body.translate(_DIGITS):
        exact, big = _exact(body, max_depth)
        if big:
            return exact, True
    return value, False


def big_ints(params: list[Any] | dict[str, Any]) -> Iterator[tuple[list[int | str], BigInt]]:
    """Each ``BigInt`` in ``params`` and its path there, in document order."""
    stack: list[tuple[Any, list[int | str]]] = [(params, [])]
    while stack:
        node, path = stack.pop()
        if type(node) is BigInt:
            yield path, node
        elif type(node) is dict or type(node) is list:
            items = node.items() if type(node) is dict else enumerate(node)
            stack.extend((child, [*path, key]) for key, child in reversed(list(items)))


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


def _refusal(exc: orjson.JSONDecodeError, body: bytes, max_depth: int) -> RPCError:
    """The error for orjson's refusal of ``body``, in the one shape every parse error has."""
    if "depth" in exc.msg:
        return TooDeeplyNested(data={"limit": max_depth})
    if not exc.doc and body:  # orjson could not decode the body to text: say where it breaks
        try:
            body.decode()
        except UnicodeDecodeError as bad:
            return _located(f"not valid UTF-8: {bad.reason}", body[: bad.start].decode())
    problem = _OPEN if exc.msg == "failed to allocate memory" else exc.msg
    return ParseError.at(problem, exc.lineno, exc.colno, exc.pos)


def _located(problem: str, before: str) -> ParseError:
    """``problem``, placed just after the text ``before`` it (as ``json`` counts lines)."""
    line_start = before.rfind("\n") + 1
    return ParseError.at(problem, before.count("\n") + 1, len(before) - line_start + 1, len(before))


def _blank(match: re.Match[bytes]) -> bytes:
    return b"0".ljust(len(match[0]))


def _exact(body: bytes, max_depth: int) -> tuple[Any, bool]:
    """Read ``body`` (already known to be valid JSON) keeping big integers as ``BigInt``."""
    found = False

    def integer(literal: str) -> int | BigInt:
        nonlocal found
        if len(literal) <= _FITS:
            return int(literal)
        if len(literal) == _FITS + 1 and INT_MIN <= (number := int(literal)) <= INT_MAX:
            return number
        found = True  # and no int() of it: Python refuses to convert over 4300 digits
        return BigInt(literal)

    try:
        return json.loads(body.decode(), parse_int=integer), found
    except RecursionError:
        # The standard library nests less deeply than orjson (about 970 levels against
        # 1024): a body with a big integer and nested that deep is refused as too deep.
        raise TooDeeplyNested(data={"limit": max_depth}) from None
    except json.JSONDecodeError as exc:  # orjson took it, so not expected: refuse it alike
        raise ParseError.at(exc.msg, exc.lineno, exc.colno, exc.pos) from None
