"""The shop's store: catalog, stock, carts, payment and orders behind atomic operations.

Every operation is an ``async def`` that never awaits, so each one happens all at once
between the event loop's other work: a check and the change it guards can never be split
by another call. That is what keeps ``checkout`` honest under any concurrency: it re-checks
every line, charges, takes the stock, records the order and closes the cart in one step.

A processor reached over the network would need an await for the charge. Then checkout would
become two atomic steps around it: reserve the stock (and mark the cart as paying), await
the charge, then commit the order or release the reservation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

from app.clock import Clock
from app.rpc.errors import InvalidParams
from app.settings import Settings
from app.shop.carts import Cart, CartEmpty, CartLine, CartRecord, Carts
from app.shop.catalog import MAX_STOCK, Catalog, CatalogEntry, Product, ProductPage
from app.shop.money import ZERO
from app.shop.orders import Order, OrderLine, Orders, new_order_id
from app.shop.payment import Card, Processor
from app.shop.stock import Stock

LineT = TypeVar("LineT", CartLine, OrderLine)


class Shop:
    """One shop: its catalog, stock, carts, orders and payment processor."""

    def __init__(
        self,
        catalog: Catalog,
        clock: Clock,
        *,
        cart_ttl_s: float = 86_400.0,
        max_carts: int = 100_000,
        max_lines: int = 100,
    ) -> None:
        self.catalog = catalog
        self.clock = clock
        self.stock = Stock({entry.product_id: entry.stock for entry in catalog})
        self.carts = Carts(clock, ttl_s=cart_ttl_s, max_carts=max_carts, max_lines=max_lines)
        self.orders = Orders()
        self.processor = Processor(clock)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock) -> Shop:
        """The shop the settings describe; raise ``CatalogError`` for a bad catalog file."""
        return cls(
            Catalog.load(settings.cart_catalog),
            clock,
            cart_ttl_s=settings.cart_ttl_s,
            max_carts=settings.cart_max_carts,
            max_lines=settings.cart_max_lines,
        )

    # Catalog and stock

    async def list_products(self, query: str | None, limit: int, cursor: str | None) -> ProductPage:
        """A page of products with every word of ``query`` in their name or description."""
        entries, next_cursor = self.catalog.search(query, limit, cursor)
        return ProductPage(products=[self._product(e) for e in entries], next_cursor=next_cursor)

    async def get_product(self, product_id: str) -> Product:
        """The product ``product_id`` with its stock now."""
        return self._product(self.catalog.get(product_id))

    async def restock(self, product_id: str, quantity: int) -> Product:
        """Put ``quantity`` more units of ``product_id`` on hand."""
        entry = self.catalog.get(product_id)
        if self.stock.level(product_id) + quantity > MAX_STOCK:
            raise InvalidParams(
                data=[
                    {
                        "path": "quantity",
                        "problem": f"Stock would exceed {MAX_STOCK}",
                        "type": "stock_limit",
                        "value": quantity,
                    }
                ]
            )
        self.stock.add(product_id, quantity)
        return self._product(entry)

    # Carts

    async def create_cart(self) -> Cart:
        """A new, empty cart."""
        return self._view(self.carts.create())

    async def get_cart(self, cart_id: str) -> Cart:
        """The cart ``cart_id``, open or checked out."""
        return self._view(self.carts.get(cart_id))

    async def add_item(self, cart_id: str, product_id: str, quantity: int) -> Cart:
        """Add ``quantity`` units of ``product_id``, up to what is in stock now."""
        cart = self.carts.get_open(cart_id)
        self.catalog.get(product_id)
        wanted = cart.lines.get(product_id, 0) + quantity
        self.carts.check_line(cart, product_id, wanted)
        self.stock.require({product_id: wanted})
        self.carts.set_line(cart, product_id, wanted)
        return self._view(cart)

    async def set_quantity(self, cart_id: str, product_id: str, quantity: int) -> Cart:
        """Make the cart hold exactly ``quantity`` of ``product_id``; 0 removes the line."""
        cart = self.carts.get_open(cart_id)
        self.catalog.get(product_id)
        if quantity:
            self.carts.check_line(cart, product_id, quantity)
            self.stock.require({product_id: quantity})
        self.carts.set_line(cart, product_id, quantity)
        return self._view(cart)

    async def remove_item(self, cart_id: str, product_id: str) -> Cart:
        """Remove ``product_id`` from the cart; removing what is not there changes nothing."""
        return await self.set_quantity(cart_id, product_id, 0)

    async def clear(self, cart_id: str) -> Cart:
        """Remove every line."""
        cart = self.carts.get_open(cart_id)
        cart.lines.clear()
        return self._view(cart)

    # Checkout and orders

    async def checkout(self, cart_id: str, card: Card, idempotency_key: str) -> Order:
        """Pay for the cart and turn it into an order, all or nothing.

        Replays of an ``idempotency_key`` return the order it made, without a new charge.
        Raises ``OutOfStock`` listing every short line, or ``PaymentDeclined``, changing
        nothing either way.
        """
        replayed = self.orders.replay(idempotency_key, cart_id)
        if replayed is not None:
            return replayed
        cart = self.carts.get_open(cart_id)
        if not cart.lines:
            raise CartEmpty(data={"cart_id": cart_id})
        self.stock.require(cart.lines)
        lines = [self._line(OrderLine, product_id, qty) for product_id, qty in cart.lines.items()]
        total = sum((line.subtotal for line in lines), ZERO)
        currency = self.catalog.currency
        charge = self.processor.charge(card, total, currency, idempotency_key)
        # Nothing below can fail: the stock was checked above, and nothing has awaited since.
        self.stock.take(cart.lines)
        order = Order(
            order_id=new_order_id(),
            cart_id=cart_id,
            status="paid",
            lines=lines,
            item_count=sum(line.quantity for line in lines),
            total=total,
            currency=currency,
            payment=charge.summary(),
            created_at=datetime.fromtimestamp(self.clock.time(), UTC),
        )
        self.orders.add(order, idempotency_key)
        cart.order_id = order.order_id
        return order

    async def get_order(self, order_id: str) -> Order:
        """The order ``order_id``."""
        return self.orders.get(order_id)

    # Views

    def _product(self, entry: CatalogEntry) -> Product:
        return Product(
            product_id=entry.product_id,
            name=entry.name,
            description=entry.description,
            price=entry.price,
            currency=self.catalog.currency,
            stock=self.stock.level(entry.product_id),
            emoji=entry.emoji,
        )

    def _line(self, kind: type[LineT], product_id: str, quantity: int) -> LineT:
        """A cart or order line for ``quantity`` of a product, at the catalog's price."""
        entry = self.catalog.get(product_id)
        return kind(
            product_id=product_id,
            name=entry.name,
            emoji=entry.emoji,
            unit_price=entry.price,
            quantity=quantity,
            subtotal=entry.price * quantity,
        )

    def _view(self, cart: CartRecord) -> Cart:
        lines = [self._line(CartLine, product_id, qty) for product_id, qty in cart.lines.items()]
        return Cart(
            cart_id=cart.cart_id,
            status=cart.status,
            lines=lines,
            item_count=sum(line.quantity for line in lines),
            total=sum((line.subtotal for line in lines), ZERO),
            currency=self.catalog.currency,
            order_id=cart.order_id,
            expires_at=datetime.fromtimestamp(self.carts.expires_at(cart), UTC),
        )
