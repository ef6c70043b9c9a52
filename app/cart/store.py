"""The shop's store Protocol: every operation behind ``cart.*``, each one atomic.

A backend implements it together with ``app.stores.Backend``. Atomic means no other
operation sees or changes the shop between an operation's checks and its changes: stock is
never sold twice, and a checkout is all or nothing.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from app.cart.models import Card, Cart, Order, Product, ProductPage


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

    async def create_cart(self) -> Cart:
        """A new, empty cart; ``Overloaded`` while the most carts allowed are live."""
        ...

    async def get_cart(self, cart_id: str) -> Cart:
        """The cart ``cart_id``, open or checked out; using it postpones its expiry."""
        ...

    async def add_item(self, cart_id: str, product_id: str, quantity: int) -> Cart:
        """Add ``quantity`` units of ``product_id``, up to what is in stock now."""
        ...

    async def set_quantity(self, cart_id: str, product_id: str, quantity: int) -> Cart:
        """Make the cart hold exactly ``quantity`` of ``product_id``; 0 removes the line."""
        ...

    async def remove_item(self, cart_id: str, product_id: str) -> Cart:
        """Remove ``product_id`` from the cart; removing what is not there changes nothing."""
        ...

    async def clear(self, cart_id: str) -> Cart:
        """Remove every line from an open cart."""
        ...

    async def checkout(self, cart_id: str, card: Card, idempotency_key: str) -> Order:
        """Pay for the cart and turn it into an order, all or nothing.

        A replay of ``idempotency_key`` for the same cart returns the order it made, charging
        nothing more. Raises ``OutOfStock`` listing every short line, or ``PaymentDeclined``,
        changing nothing either way.
        """
        ...

    async def get_order(self, order_id: str) -> Order:
        """The order ``order_id``; ``OrderNotFound`` if there is none."""
        ...
