"""The shop's store Protocol: every operation behind ``cart.*``, each one atomic.

A backend implements it together with ``app.stores.Backend``. Atomic means no other
operation sees or changes the shop between an operation's checks and its changes: stock is
never sold twice, and a checkout is all or nothing.

Every cart and order operation takes ``caller``, the ``Principal`` making the call (the
handler passes ``ctx.principal``), and applies ``app.cart.owners`` to it: a cart made by a
key belongs to that principal, and anyone else (another key, or anonymous) gets
``CartNotFound`` for it, and ``OrderNotFound`` for its order, with the same data as for an
id that never existed. An anonymous cart may be used by anyone holding its id; ``admin``
may read and change any cart, and read any order. The Principal, not just its id, because
the backend must see ``admin``. The catalog is everyone's and needs no caller.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from app.cart.models import Card, Cart, Order, Product, ProductPage
from app.rpc.access import Principal


@runtime_checkable
class CartStore(Protocol):
    """The catalog, stock, carts and orders of one shop."""

    async def list_products(self, query: str | None, limit: int, cursor: str | None) -> ProductPage:
        """A page of products with every word of ``query`` in their name or description.

        Raise ``UnknownCursor`` for a cursor that is not a ``next_cursor`` this shop gave.
        """
        ...

    async def get_product(self, product_id: str) -> Product:
        """The product ``product_id`` with its stock now; ``ProductNotFound`` if unknown."""
        ...

    async def restock(self, product_id: str, quantity: int) -> Product:
        """Put ``quantity`` more units on hand; ``StockLimitExceeded`` past ``MAX_STOCK``."""
        ...

    async def create_cart(self, caller: Principal) -> Cart:
        """A new, empty cart belonging to ``caller`` (to nobody if it is anonymous).

        ``QuotaExceeded`` (data: ``resource`` "carts", ``limit``, ``held``) while ``caller``
        holds ``cart_max_carts_per_owner`` live carts, open or checked out, counted by
        ``caller.id`` (every anonymous caller is one, and admin is not exempt); else
        ``Overloaded`` while ``cart_max_carts`` carts are live. An expired cart stops counting.
        """
        ...

    async def get_cart(self, caller: Principal, cart_id: str) -> Cart:
        """The cart ``cart_id``, open or checked out; using it postpones its expiry."""
        ...

    async def add_item(
        self, caller: Principal, cart_id: str, product_id: str, quantity: int
    ) -> Cart:
        """Add ``quantity`` units of ``product_id``, up to what is in stock now."""
        ...

    async def set_quantity(
        self, caller: Principal, cart_id: str, product_id: str, quantity: int
    ) -> Cart:
        """Make the cart hold exactly ``quantity`` of ``product_id``; 0 removes the line."""
        ...

    async def remove_item(self, caller: Principal, cart_id: str, product_id: str) -> Cart:
        """Remove ``product_id`` from the cart; removing what is not there changes nothing."""
        ...

    async def clear(self, caller: Principal, cart_id: str) -> Cart:
        """Remove every line from an open cart."""
        ...

    async def checkout(
        self, caller: Principal, cart_id: str, card: Card, idempotency_key: str
    ) -> Order:
        """Pay for the cart and turn it into an order of the cart's owner, all or nothing.

        Idempotency keys are the caller's own: a replay of ``caller``'s key for the same cart
        returns the order it made, charging nothing more, and nobody else's key can match
        it. Raises ``OutOfStock`` listing every short line, or ``PaymentDeclined``, changing
        nothing either way.
        """
        ...

    async def get_order(self, caller: Principal, order_id: str) -> Order:
        """The order ``order_id``; ``OrderNotFound`` if there is none, or not for ``caller``."""
        ...
