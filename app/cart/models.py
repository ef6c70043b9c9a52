"""The shop's wire models: what `cart.*` methods take and return, one definition each.

The backend keeps these models as its records (a product with its stock, a cart with its
lines and total, a paid order) and hands out copies, so what a client sees is what is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError, WithJsonSchema

from app.cart.errors import InvalidCard, Problem
from app.cart.money import Money

MAX_QUANTITY = 1000
"""The most units of one product a cart may hold."""
_ECHOED = frozenset({"exp_month", "exp_year"})
"""The only payment fields whose bad values are echoed back; the rest may hold card data."""
_REDACTED = "[redacted]"


# Catalog


class Product(BaseModel):
    """A product as clients see it, with the stock on hand now."""

    product_id: str
    name: str
    description: str
    price: Money
    currency: str
    stock: Annotated[int, Field(ge=0)]
    emoji: str


class ProductPage(BaseModel):
    """One page of products, and the cursor for the next page (null on the last)."""

    products: list[Product]
    next_cursor: str | None


# Carts and orders


class _Line(BaseModel):
    """What cart and order lines share: how one is made from a product."""

    @classmethod
    def of(cls, product: Product, quantity: int) -> Self:
        """`quantity` units of `product`, at its price."""
        return cls(
            product_id=product.product_id,
            name=product.name,
            emoji=product.emoji,
            unit_price=product.price,
            quantity=quantity,
            subtotal=product.price * quantity,
        )


class CartStatus(StrEnum):
    OPEN = "open"
    CHECKED_OUT = "checked_out"


class CartLine(_Line):
    """One product in a cart, at the catalog's price."""

    model_config = ConfigDict(frozen=True)

    product_id: str
    name: str
    emoji: str
    unit_price: Money
    quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY)]
    subtotal: Money
    """`unit_price × quantity`, exactly."""


class Cart(BaseModel):
    """A cart as clients see it: its lines with subtotals, and the total."""

    cart_id: str
    status: CartStatus
    lines: list[CartLine]
    item_count: int
    """Units across all lines."""
    total: Money
    currency: str
    order_id: str | None
    """The order this cart became at checkout; null while the cart is open."""
    expires_at: datetime
    """When the cart is discarded unless it is used again before then."""


class OrderLine(_Line):
    """One product of an order, at the price it sold for."""

    model_config = ConfigDict(frozen=True)

    product_id: str
    name: str
    emoji: str
    unit_price: Money
    quantity: Annotated[int, Field(ge=1)]
    subtotal: Money
    """`unit_price × quantity`, exactly."""


class PaymentSummary(BaseModel):
    """How an order was paid, as much of the card as may be shown."""

    model_config = ConfigDict(frozen=True)

    charge_id: str
    brand: str
    last4: str


class Order(BaseModel):
    """A paid order. Its total is the exact sum of its lines' subtotals."""

    model_config = ConfigDict(frozen=True)

    order_id: str
    cart_id: str
    status: Literal["paid"]
    lines: list[OrderLine]
    item_count: int
    total: Money
    currency: str
    payment: PaymentSummary
    created_at: datetime


# Payment


class PaymentDetails(BaseModel):
    """A card, as a client sends it."""

    model_config = ConfigDict(extra="forbid", strict=True, title="Payment")

    card_number: Annotated[
        str,
        Field(
            min_length=12,
            max_length=23,
            pattern=r"^[0-9][0-9 -]+[0-9]$",
            description="12 to 19 digits, spaces or dashes allowed. Test card: 4242424242424242.",
        ),
    ]
    exp_month: Annotated[int, Field(ge=1, le=12, description="Expiry month, 1 to 12.")]
    exp_year: Annotated[int, Field(ge=2000, le=2099, description="Expiry year, four digits.")]
    cvc: Annotated[str, Field(pattern=r"^[0-9]{3,4}$", description="3 or 4 digits.")]


@dataclass(frozen=True, slots=True, repr=False)
class Card:
    """A validated card. Its number lives only as long as the call that carries it."""

    number: str
    exp_month: int
    exp_year: int
    cvc: str

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def brand(self) -> str:
        return _brand(self.number)

    def __repr__(self) -> str:
        return f"Card({self.brand} ending {self.last4})"


class RawPayment:
    """The `payment` param as received, checked by `card()` rather than by the binder.

    Checked here, a bad card number or CVC is reported as `[redacted]` while a bad expiry
    date is shown as sent. (`cart.checkout` also declares `redact_values`, so the binder
    echoes nothing either: card data sent in the wrong param stays out of `data` too.)
    """

    __slots__ = ("_value",)

    def __init__(self, value: Any) -> None:
        self._value = value

    def __repr__(self) -> str:
        return f"RawPayment({_REDACTED})"

    def card(self) -> Card:
        """The card, or `InvalidCard` listing each problem with sensitive values redacted."""
        try:
            details = PaymentDetails.model_validate(self._value)
        except ValidationError as exc:
            raise InvalidCard([_problem(error) for error in exc.errors()]) from None
        number = details.card_number.replace(" ", "").replace("-", "")
        if not 12 <= len(number) <= 19 or not _luhn_valid(number):
            raise InvalidCard(
                [
                    {
                        "at": ("card_number",),
                        "problem": "Not a valid card number: wrong length or check digit",
                        "type": "card_number",
                        "value": _REDACTED,
                    }
                ]
            )
        return Card(number, details.exp_month, details.exp_year, details.cvc)


Payment = Annotated[
    RawPayment,
    PlainValidator(RawPayment),
    WithJsonSchema(PaymentDetails.model_json_schema()),
]
"""The `payment` param type: described as `PaymentDetails`, validated by `card()`."""


def _problem(error: Any) -> Problem:
    loc = error["loc"]
    problem: Problem = {
        "at": tuple(str(part) for part in loc),
        "problem": error["msg"],
        "type": error["type"],
    }
    if error["type"] != "missing":
        problem["value"] = error["input"] if loc and loc[0] in _ECHOED else _REDACTED
    return problem


def _luhn_valid(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"34", "37"}:
        return "amex"
    if "51" <= number[:2] <= "55" or "2221" <= number[:4] <= "2720":
        return "mastercard"
    if number.startswith(("6011", "65")):
        return "discover"
    return "unknown"
