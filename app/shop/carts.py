"""Carts: who wants what, before checkout. A cart id is its only credential.

Carts live in memory with limits on every size: each idle cart expires after a time to
live, at most ``max_carts`` exist at once, each holds at most ``max_lines`` products and at
most ``MAX_QUANTITY`` of each. Carts are kept in the order they were last touched, so expired
ones are always at the front and sweeping them costs nothing while none have expired.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from app.clock import Clock
from app.rpc.errors import InvalidState, NotFound, Overloaded
from app.shop.money import Money

MAX_QUANTITY = 1000
"""The most units of one product a cart may hold."""
CART_ID_BYTES = 16
"""128 random bits per cart id: unguessable, so the id alone can stand for its owner."""


class CartNotFound(NotFound):
    code = 3002
    message = "Cart not found"


class CartClosed(InvalidState):
    code = 3005
    message = "Cart already checked out"


class CartEmpty(InvalidState):
    code = 3006
    message = "Cart is empty"


class CartLimitExceeded(InvalidState):
    code = 3007
    message = "Cart limit exceeded"


class CartStatus(StrEnum):
    OPEN = "open"
    CHECKED_OUT = "checked_out"


class CartLine(BaseModel):
    """One product in a cart, at the catalog's price."""

    product_id: str
    name: str
    emoji: str
    unit_price: Money
    quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY)]
    subtotal: Money
    """``unit_price × quantity``, exactly."""


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


@dataclass(slots=True)
class CartRecord:
    cart_id: str
    created_at: float
    touched_at: float
    lines: dict[str, int] = field(default_factory=dict)
    """Quantity per product id, in the order the products were first added."""
    order_id: str | None = None
    """The order this cart became; set once, at checkout, which closes the cart."""

    @property
    def status(self) -> CartStatus:
        return CartStatus.OPEN if self.order_id is None else CartStatus.CHECKED_OUT


class Carts:
    """Every live cart, by id, with expiry and size limits."""

    def __init__(self, clock: Clock, *, ttl_s: float, max_carts: int, max_lines: int) -> None:
        self._clock = clock
        self.ttl_s = ttl_s
        self.max_carts = max_carts
        self.max_lines = max_lines
        self._carts: OrderedDict[str, CartRecord] = OrderedDict()

    def __len__(self) -> int:
        return len(self._carts)

    def create(self) -> CartRecord:
        """A new, empty cart; ``Overloaded`` if ``max_carts`` live carts already exist."""
        now = self._clock.time()
        self._sweep(now)
        if len(self._carts) >= self.max_carts:
            raise Overloaded(data={"reason": "too many open carts; try again later"})
        cart_id = secrets.token_urlsafe(CART_ID_BYTES)
        cart = self._carts[cart_id] = CartRecord(cart_id, created_at=now, touched_at=now)
        return cart

    def get(self, cart_id: str) -> CartRecord:
        """The live cart ``cart_id``, touched so it lives on; ``CartNotFound`` if none."""
        now = self._clock.time()
        cart = self._carts.get(cart_id)
        if cart is None or self._expired(cart, now):
            if cart is not None:
                del self._carts[cart_id]
            raise CartNotFound(data={"cart_id": cart_id})
        cart.touched_at = now
        self._carts.move_to_end(cart_id)
        return cart

    def get_open(self, cart_id: str) -> CartRecord:
        """The cart ``cart_id`` if it can still change; ``CartClosed`` after its checkout."""
        cart = self.get(cart_id)
        if cart.order_id is not None:
            raise CartClosed(data={"cart_id": cart_id, "order_id": cart.order_id})
        return cart

    def set_line(self, cart: CartRecord, product_id: str, quantity: int) -> None:
        """Make ``cart`` hold ``quantity`` of ``product_id`` (0 removes it), within the limits."""
        if quantity == 0:
            cart.lines.pop(product_id, None)
            return
        self.check_line(cart, product_id, quantity)
        cart.lines[product_id] = quantity

    def check_line(self, cart: CartRecord, product_id: str, quantity: int) -> None:
        """Raise ``CartLimitExceeded`` unless ``cart`` may hold ``quantity`` of ``product_id``."""
        if quantity > MAX_QUANTITY:
            raise CartLimitExceeded(
                data={"limit": "quantity_per_line", "max": MAX_QUANTITY, "requested": quantity}
            )
        if product_id not in cart.lines and len(cart.lines) >= self.max_lines:
            raise CartLimitExceeded(
                data={"limit": "lines_per_cart", "max": self.max_lines, "product_id": product_id}
            )

    def expires_at(self, cart: CartRecord) -> float:
        return cart.touched_at + self.ttl_s

    def _expired(self, cart: CartRecord, now: float) -> bool:
        return now >= self.expires_at(cart)

    def _sweep(self, now: float) -> None:
        while self._carts:
            oldest = next(iter(self._carts.values()))
            if not self._expired(oldest, now):
                return
            del self._carts[oldest.cart_id]
