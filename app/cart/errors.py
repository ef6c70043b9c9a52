"""The shop's errors: the domain errors clients receive (codes 3xxx), and the rest.

DomainError
├── NotFound
│   ├── ProductNotFound        3001  no such product (data lists near misses)
│   ├── CartNotFound           3002  no such cart, or it expired
│   └── OrderNotFound          3003  no such order
├── Conflict
│   ├── OutOfStock             3004  data lists every short line
│   └── IdempotencyKeyReused   3009  the key already made an order for another cart
├── InvalidState
│   ├── CartClosed             3005  the cart was checked out
│   ├── CartEmpty              3006  nothing to check out
│   └── CartLimitExceeded      3007  too many units in a line, or lines in a cart
└── PaymentDeclined            3008  data holds the decline code, brand and last four digits

ValueError
├── CatalogError                     a catalog file the server refuses to start with
└── InvalidValue                     a value the shop refuses; the handler names the param
    ├── InvalidCard                  payment details that are not a usable card
    ├── UnknownCursor                a cursor this server did not give
    └── StockLimitExceeded           a restock that would pass ``MAX_STOCK``
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from app.rpc.errors import Conflict, DomainError, InvalidState, NotFound


class ProductNotFound(NotFound):
    code = 3001
    message = "Product not found"


class CartNotFound(NotFound):
    code = 3002
    message = "Cart not found"


class OrderNotFound(NotFound):
    code = 3003
    message = "Order not found"


class OutOfStock(Conflict):
    code = 3004
    message = "Out of stock"


class CartClosed(InvalidState):
    code = 3005
    message = "Cart already checked out"


class CartEmpty(InvalidState):
    code = 3006
    message = "Cart is empty"


class CartLimitExceeded(InvalidState):
    code = 3007
    message = "Cart limit exceeded"


class PaymentDeclined(DomainError):
    code = 3008
    message = "Payment declined"


class IdempotencyKeyReused(Conflict):
    code = 3009
    message = "Idempotency key already used for another cart"


class CatalogError(ValueError):
    """A catalog file the server refuses to start with."""


class Problem(TypedDict):
    """One thing wrong with a value, where in it, and the value (absent when it was missing)."""

    at: tuple[str, ...]
    """Where in the value: () for the whole value, ("cvc",) for one of its fields."""
    problem: str
    type: str
    value: NotRequired[Any]


class InvalidValue(ValueError):
    """A value the shop refuses. Only the caller knows which param held it, so it says where."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(problem["problem"] for problem in problems))


class InvalidCard(InvalidValue):
    """Payment details that are not a usable card; sensitive values are already redacted."""


class UnknownCursor(InvalidValue):
    """A paging cursor this server did not give."""

    def __init__(self, cursor: str) -> None:
        super().__init__(
            [
                {
                    "at": (),
                    "problem": "Not a cursor from this server: pass back next_cursor as given",
                    "type": "cursor",
                    "value": cursor,
                }
            ]
        )


class StockLimitExceeded(InvalidValue):
    """A restock that would put more than ``limit`` units of a product on hand."""

    def __init__(self, quantity: int, limit: int) -> None:
        super().__init__(
            [
                {
                    "at": (),
                    "problem": f"Stock would exceed {limit}",
                    "type": "stock_limit",
                    "value": quantity,
                }
            ]
        )
