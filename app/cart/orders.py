"""Orders: what a checkout made, kept for good, and the idempotency keys that made them."""

from __future__ import annotations

import secrets

from app.cart.errors import IdempotencyKeyReused, OrderNotFound
from app.cart.models import Order

ORDER_ID_BYTES = 16


def new_order_id() -> str:
    """A new order id: random, like a cart id, so ids give nothing away."""
    return secrets.token_urlsafe(ORDER_ID_BYTES)


class Orders:
    """Every order, by id, and by the idempotency key of the checkout that made it."""

    def __init__(self) -> None:
        self._orders: dict[str, Order] = {}
        self._by_key: dict[str, Order] = {}

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
