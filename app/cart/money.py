"""Money: exact ``Decimal`` amounts of whole cents, sent as strings like ``"29.99"``.

Nothing in the shop rounds. Prices are whole cents (the catalog refuses anything finer),
quantities are whole numbers, and a subtotal is a price times a quantity, a total a sum of
subtotals: every amount stays a whole number of cents. Should a computation ever produce a
fraction of a cent, ``to_wire`` raises instead of rounding it away, so a client sees an
internal error rather than an amount that differs from the one the store holds.
"""

from __future__ import annotations

import re
from decimal import Context, Decimal, Inexact
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_PRICE = Decimal("1000000.00")
"""The dearest price a catalog may hold; with at most 1000 of each line, totals stay small."""

_EXACT = Context(traps=[Inexact])
_AMOUNT = re.compile(r"[0-9]{1,7}\.[0-9]{2}")
WIRE_PATTERN = r"^-?[0-9]+\.[0-9]{2}$"


def to_wire(amount: Decimal) -> str:
    """``amount`` as a string with exactly two decimals; raise ``Inexact`` for a part of a cent."""
    return f"{amount.quantize(CENT, context=_EXACT):f}"


def to_cents(amount: Decimal) -> int:
    """``amount`` in whole cents (as Redis adds them up); ``Inexact`` for a part of a cent."""
    return int(amount.quantize(CENT, context=_EXACT).scaleb(2))


def from_cents(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def parse_price(value: Any) -> Decimal:
    """A price as written in a catalog file: a string of whole cents such as ``"29.99"``.

    JSON numbers are refused: a reader may turn them into binary floats before we see them.
    """
    if not isinstance(value, str) or not _AMOUNT.fullmatch(value):
        raise ValueError('write prices as strings with two decimals, like "29.99"')
    price = Decimal(value)
    if not ZERO < price <= MAX_PRICE:
        raise ValueError(f"prices must be more than 0.00 and at most {MAX_PRICE}")
    return price


Money = Annotated[
    Decimal,
    PlainSerializer(to_wire, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": WIRE_PATTERN,
            "description": 'An exact amount with two decimals, such as "29.99"; never a float.',
        },
        mode="serialization",
    ),
]
"""An amount in a result: a ``Decimal`` that goes on the wire as ``"29.99"``."""

Price = Annotated[Decimal, PlainValidator(parse_price)]
"""An amount read from a catalog file."""
