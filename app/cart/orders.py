"""Orders: what a checkout made, kept for good, whom each belongs to, and the idempotency
keys that made them.

An order belongs to its cart's owner, whoever paid. Idempotency keys are each caller's own
(as Stripe scopes them per account): one principal's key never collides with, replays or
reveals another's. Every anonymous caller shares one principal, so they share keys too.
"""

from __future__ import annotations

from app.cart.errors import CartNotFound, IdempotencyKeyReused, OrderNotFound
from app.cart.models import Order
from app.cart.owners import Owner, may_use
from app.ids import Ids
from app.rpc.access import Principal

ORDER_ID_BYTES = 16


def new_order_id(ids: Ids) -> str:
    """A new order id: random, like a cart id, so ids give nothing away."""
    return ids.new("order", ORDER_ID_BYTES)


def charge_key(caller: Principal, idempotency_key: str) -> str:
    """The processor's idempotency key for ``caller``'s key: one per caller and key."""
    # Length-prefixed, so no two (caller, key) pairs give the same string.
    return f"{len(caller.id)}:{caller.id}:{idempotency_key}"


class Orders:
    """Every order, by id, and by the caller and idempotency key of the checkout that made it."""

    def __init__(self) -> None:
        self._orders: dict[str, tuple[Order, Owner]] = {}
        self._by_key: dict[tuple[str, str], str] = {}
        """(caller's principal id, idempotency key) -> order id."""

    def get(self, order_id: str, caller: Principal) -> Order:
        """The order ``order_id``; ``OrderNotFound`` if there is none or ``caller`` may not
        read it (the same error and data, so an order's existence never leaks).
        """
        kept = self._orders.get(order_id)
        if kept is None or not may_use(caller, kept[1]):
            raise OrderNotFound(data={"order_id": order_id})
        return kept[0]

    def replay(self, caller: Principal, idempotency_key: str, cart_id: str) -> Order | None:
        """The order an earlier checkout of ``cart_id`` by ``caller`` made with this key, if any.

        Raise ``IdempotencyKeyReused`` if the key already made an order for another cart.
        """
        order_id = self._by_key.get((caller.id, idempotency_key))
        if order_id is None:
            return None
        order, owner = self._orders[order_id]
        if order.cart_id != cart_id:
            # The other cart's id may be its credential: say which key, not which cart.
            raise IdempotencyKeyReused(data={"idempotency_key": idempotency_key})
        if not may_use(caller, owner):
            # Only if the caller lost a right it had at checkout (admin): then, as for anyone.
            raise CartNotFound(data={"cart_id": cart_id})
        return order

    def add(self, order: Order, owner: Owner, caller: Principal, idempotency_key: str) -> None:
        """Keep ``order``, belonging to ``owner``, made by ``caller``'s checkout with the key."""
        by_key = (caller.id, idempotency_key)
        if by_key in self._by_key or order.order_id in self._orders:
            raise ValueError("an order per idempotency key and per id")
        self._orders[order.order_id] = (order, owner)
        self._by_key[by_key] = order.order_id
