"""calc.*: a small exact calculator, and the methods of the JSON-RPC 2.0 spec's examples.

Integers stay integers (`divide` too, when the division is exact). A result that JSON
cannot carry exactly, an integer beyond 64 bits or a non-finite float, is an error rather
than a silently different number.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import Field

from app.rpc.errors import DomainError
from app.rpc.namespace import Example, Method, Namespace
from app.rpc.types import INT_MAX, INT_MIN, Number


class DivisionByZero(DomainError):
    code = 1001
    message = "Division by zero"


class NumberOutOfRange(DomainError):
    code = 1002
    message = "Result out of range"


def _exact(value: int | float) -> int | float:
    if isinstance(value, int):
        if not INT_MIN <= value <= INT_MAX:
            raise NumberOutOfRange(data={"min": INT_MIN, "max": INT_MAX})
    elif not math.isfinite(value):
        raise NumberOutOfRange(data={"problem": "the result is not a finite number"})
    return value


async def add(a: Number, b: Number) -> Number:
    """Add two numbers."""
    return _exact(a + b)


async def subtract(
    minuend: Annotated[Number, Field(description="The number to subtract from.")],
    subtrahend: Annotated[Number, Field(description="The number to subtract.")],
) -> Number:
    """Subtract `subtrahend` from `minuend`, as in the spec's examples."""
    return _exact(minuend - subtrahend)


async def multiply(a: Number, b: Number) -> Number:
    """Multiply two numbers."""
    return _exact(a * b)


async def divide(
    dividend: Number,
    divisor: Annotated[Number, Field(description="Must not be zero.")],
) -> Number:
    """Divide `dividend` by `divisor`.

    Two integers that divide exactly give an integer; anything else gives a float.
    """
    if divisor == 0:
        raise DivisionByZero(data={"dividend": dividend})
    if isinstance(dividend, int) and isinstance(divisor, int) and dividend % divisor == 0:
        return _exact(dividend // divisor)
    return _exact(dividend / divisor)


async def total(*numbers: Number) -> Number:
    """Add any count of numbers given by position: `[1, 2, 4]` gives 7."""
    return _exact(sum(numbers))


async def get_data() -> list[Any]:
    """Return the spec's sample data, `["hello", 5]`."""
    return ["hello", 5]


async def notify_hello(n: int) -> int:
    """The spec's notification example; called as a request, it echoes `n`."""
    return n


async def update(*values: Number) -> None:
    """The spec's notification example; accepts any numbers and does nothing."""


namespace = Namespace(
    "calc",
    [
        Method(
            add,
            idempotent=True,
            examples=[Example("two plus three", [2, 3], 5)],
            errors=[NumberOutOfRange],
        ),
        Method(
            subtract,
            idempotent=True,
            errors=[NumberOutOfRange],
            examples=[
                Example("by position", [42, 23], 19),
                Example("by name", {"subtrahend": 23, "minuend": 42}, 19),
            ],
        ),
        Method(
            multiply,
            idempotent=True,
            examples=[Example("six times seven", [6, 7], 42)],
            errors=[NumberOutOfRange],
        ),
        Method(
            divide,
            idempotent=True,
            errors=[DivisionByZero, NumberOutOfRange],
            examples=[Example("exact", [10, 2], 5), Example("inexact", [7, 2], 3.5)],
        ),
        Method(
            total,
            name="sum",
            idempotent=True,
            errors=[NumberOutOfRange],
            examples=[Example("the spec's sum", [1, 2, 4], 7)],
        ),
        Method(get_data, idempotent=True, examples=[Example("the spec's data", [], ["hello", 5])]),
        Method(notify_hello, idempotent=True, examples=[Example("echo", [7], 7)]),
        Method(
            update, idempotent=True, examples=[Example("the spec's update", [1, 2, 3, 4, 5], None)]
        ),
    ],
)
