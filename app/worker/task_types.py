"""Task types a worker can run: the built-ins, and the plugin hook for your own.

A task type is ``async def run(payload, ctx) -> result``, where ``payload`` and the result
are JSON values. Raise ``PermanentError`` for a failure that retrying cannot fix; any other
exception is retried (with backoff, while attempts remain).

Your own types come from a package's entry points in the group ``rpc_hub.task_types``
(``name = "package.module:function"``, or pointing at a mapping of names to functions), or
from ``rpc-hub worker --plugin package.module:attribute`` with the same two shapes.
"""

from __future__ import annotations

import asyncio
import math
import operator
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from app.references import resolve
from app.rpc.types import INT_MAX, INT_MIN

ENTRY_POINT_GROUP = "rpc_hub.task_types"
MAX_DELAY_S = 3600.0


class PermanentError(Exception):
    """A failure that retrying cannot fix (bad input, say): the task fails for good."""


@dataclass
class TaskContext:
    """What a running task knows about itself, and how it reports progress."""

    task_id: str
    attempt: int
    dep_results: dict[str, Any] = field(default_factory=dict)
    progress: float | None = None

    def report(self, progress: float) -> None:
        """Record progress (0 to 1); the next heartbeat carries it to the server."""
        self.progress = min(1.0, max(0.0, progress))


TaskFn = Callable[[Any, TaskContext], Awaitable[Any]]


def _arguments(payload: Any, *names: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise PermanentError("the payload must be a JSON object")
    missing = [name for name in names if name not in payload]
    if missing:
        raise PermanentError(f"the payload lacks {', '.join(missing)}")
    return payload


def _number(value: Any, name: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PermanentError(f"{name} must be a number")
    return value


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add,
    "subtract": operator.sub,
    "multiply": operator.mul,
    "divide": operator.truediv,
    "floor_divide": operator.floordiv,
    "modulo": operator.mod,
    "power": operator.pow,
}


async def compute(payload: Any, ctx: TaskContext) -> int | float:
    """Arithmetic: ``{"op": "add", "a": 2, "b": 3}`` (add, subtract, multiply, divide,
    floor_divide, modulo, power), or ``{"op": "sum", "values": [1, 2, 4]}``."""
    args = _arguments(payload, "op")
    op = args["op"]
    if op == "sum":
        values = args.get("values")
        if not isinstance(values, list):
            raise PermanentError("values must be a list of numbers")
        result: int | float = sum(_number(v, "values[]") for v in values)
    elif op in _BINARY:
        a = _number(_arguments(payload, "a")["a"], "a")
        b = _number(_arguments(payload, "b")["b"], "b")
        if op in ("divide", "floor_divide", "modulo") and b == 0:
            raise PermanentError("division by zero")
        if op == "power" and abs(b) > 1024:
            raise PermanentError("the exponent is too large")
        try:
            result = _BINARY[op](a, b)
        except (OverflowError, ValueError) as exc:
            raise PermanentError(str(exc)) from None
        if op == "divide" and isinstance(a, int) and isinstance(b, int) and a % b == 0:
            result = a // b  # exact, as calc.divide
    else:
        raise PermanentError(f"unknown op {op!r}; known: sum, {', '.join(_BINARY)}")
    if isinstance(result, complex) or (isinstance(result, float) and not math.isfinite(result)):
        raise PermanentError("the result is not a finite real number")
    if isinstance(result, int) and not INT_MIN <= result <= INT_MAX:
        raise PermanentError("the result does not fit in 64 bits")
    return result


_TRANSFORMS: dict[str, Callable[[str], Any]] = {
    "upper": str.upper,
    "lower": str.lower,
    "title": str.title,
    "capitalize": str.capitalize,
    "swapcase": str.swapcase,
    "strip": str.strip,
    "reverse": lambda text: text[::-1],
    "length": len,
    "words": lambda text: len(text.split()),
}


async def transform(payload: Any, ctx: TaskContext) -> Any:
    """String transforms: ``{"op": "upper", "text": "hi"}`` (upper, lower, title, capitalize,
    swapcase, strip, reverse, length, words)."""
    args = _arguments(payload, "op", "text")
    if not isinstance(args["text"], str):
        raise PermanentError("text must be a string")
    fn = _TRANSFORMS.get(args["op"])
    if fn is None:
        raise PermanentError(f"unknown op {args['op']!r}; known: {', '.join(_TRANSFORMS)}")
    return fn(args["text"])


def _delay(payload: Any, name: str) -> float:
    value = _number(_arguments(payload, name)[name], name)
    if not 0 <= value <= MAX_DELAY_S:
        raise PermanentError(f"{name} must be between 0 and {MAX_DELAY_S}")
    return float(value)


async def io(payload: Any, ctx: TaskContext) -> Any:
    """Simulated I/O: wait ``delay_s`` seconds without blocking, then answer ``echo``."""
    await asyncio.sleep(_delay(payload, "delay_s"))
    return {"echo": payload.get("echo"), "delay_s": payload["delay_s"]}


async def sleep(payload: Any, ctx: TaskContext) -> float:
    """Sleep ``seconds`` in ten steps, reporting progress after each; answer the seconds."""
    seconds = _delay(payload, "seconds")
    for step in range(1, 11):
        await asyncio.sleep(seconds / 10)
        ctx.report(step / 10)
    return seconds


BUILTIN: dict[str, TaskFn] = {"compute": compute, "transform": transform, "io": io, "sleep": sleep}


def from_object(name: str, found: Any) -> dict[str, TaskFn]:
    """A plugin object as task types: a mapping of names to functions, or one function."""
    if isinstance(found, Mapping):
        items = dict(found)
    elif callable(found):
        items = {name: found}
    else:
        raise ValueError(f"task type plugin {name!r} is neither a function nor a mapping")
    for type_name, fn in items.items():
        if not isinstance(type_name, str) or not asyncio.iscoroutinefunction(fn):
            raise ValueError(f"task type {type_name!r} must map a name to an `async def`")
    return items


def load(references: Iterable[str] = (), *, use_entry_points: bool = True) -> dict[str, TaskFn]:
    """The built-in types, then entry-point plugins, then ``module:attribute`` references."""
    types = dict(BUILTIN)
    if use_entry_points:
        for point in entry_points(group=ENTRY_POINT_GROUP):
            types.update(from_object(point.name, point.load()))
    for reference in references:
        types.update(from_object(reference.partition(":")[2], resolve(reference)))
    return types
