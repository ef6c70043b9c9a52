"""Orders: what a checkout made, kept for good, and the idempotency keys that made them."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.rpc.errors import Conflict, NotFound
from app.shop.money import Money
from app.shop.payment import PaymentSummary

ORDER_ID_BYTES = 16


class OrderNotFound(NotFound):
    code = 3003
    message = "Order not found"


class IdempotencyKeyReused(Conflict):
    code = 3009
    message = "Idempotency key already used for another cart"


class OrderLine(BaseModel):
    """One product of an order, at the price it sold for."""

    product_id: str
    name: str
    emoji: str
    unit_price: Money
    quantity: Annotated[int, Field(ge=1)]
    subtotal: Money
    """``unit_price × quantity``, exactly."""


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


def new_order_id() -> str:
    return secrets.token_urlsafe(ORDER_ID_BYTES)


class Orders:
    """Every order, by id, and by the idempotency key of the checkout that made it."""

    def __init__(self) -> None:
        self._orders: dict[str, Order] = {}
        self._by_key: dict[str, Order] = {}

    def __len__(self) -> int:
        return len(self._orders)

    def __iter__(self) -> Iterator[Order]:
        return iter(self._orders.values())

    def get(self, order_id: str) -> Order:
        """The order ``order_id``; ``OrderNotFound`` if there is none."""
        order = self._orders.get(order_id)
        if order is None:
            raise OrderNotFound(data={"order_id": order_id})
        return order

    def replay(self, idempotency_key: str, cart_id: str) -> Order | None:
        """The order an earlier checkout of ``cart_id`` made with this key, if any.

        Raise ``IdempotencyKeyReused`` if the key already made an order for another cart.
        """
        order = self._by_key.get(idempotency_key)
        if order is not None and order.cart_id != cart_id:
            # The other cart's id is its owner's credential: say which key, not which cart.
            raise IdempotencyKeyReused(data={"idempotency_key": idempotency_key})
        return order

    def add(self, order: Order, idempotency_key: str) -> None:
        """Keep ``order``, made by the checkout with ``idempotency_key``."""
        if idempotency_key in self._by_key or order.order_id in self._orders:
            raise ValueError("an order per idempotency key and per id")
        self._orders[order.order_id] = order
        self._by_key[idempotency_key] = order
