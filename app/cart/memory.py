"""The shop in memory: catalog, stock, carts, payment and orders behind atomic operations.

Every operation is an ``async def`` that never awaits, so each one happens all at once
between the event loop's other work: a check and the change it guards can never be split
by another call. That is what keeps ``checkout`` honest under any concurrency: it re-checks
every line, charges, takes the stock, records the order and closes the cart in one step.

A processor reached over the network would need an await for the charge. Then checkout would
become two atomic steps around it: reserve the stock (and mark the cart as paying), await
the charge, then commit the order or release the reservation.

Who may use a cart or an order is decided in one place per kind of record, the lookups
``Carts.get`` and ``Orders.get``/``replay``, by the one rule in ``owners.py``; no operation
reaches a cart or an order any other way.

Records are the wire models themselves; what leaves is a copy, so a result cannot change
after the operation that made it (its lines are frozen and replaced, never edited).
"""

from __future__ import annotations

from datetime import UTC, datetime

from app.cart.carts import Carts, quantities, quantity_of
from app.cart.catalog import Catalog
from app.cart.errors import CartEmpty, OutOfStock
from app.cart.models import Card, Cart, Order, OrderLine, Product, ProductPage
from app.cart.money import ZERO
from app.cart.orders import Orders, charge_key, new_order_id
from app.cart.payment import Processor
from app.cart.sales import Sales
from app.cart.stock import Stock
from app.rpc.access import Principal
from app.stores import Backend, Sample, StoreContext


class MemoryCartStore(Backend):
    """One shop, held in this process; ``CatalogError`` at construction for a bad catalog."""

    def __init__(self, context: StoreContext, processor: Processor | None = None) -> None:
        """``processor`` is the card processor to charge (a fresh test-mode one by default)."""
        settings, self._clock = context.settings, context.clock
        self._ids = context.ids
        self._catalog = Catalog.load(settings.cart_catalog)
        self._stock = Stock(self._catalog)
        self._carts = Carts(
            self._clock,
            self._catalog.currency,
            ttl_s=settings.cart_ttl_s,
            max_carts=settings.cart_max_carts,
            max_carts_per_owner=settings.cart_max_carts_per_owner,
            max_lines=settings.cart_max_lines,
            ids=context.ids,
        )
        self._orders = Orders()
        self._sales = Sales()
        self._processor = processor or Processor(self._clock)

    # Catalog and stock

    async def list_products(self, query: str | None, limit: int, cursor: str | None) -> ProductPage:
        """A page of products with every word of ``query`` in their name or description."""
        found, next_cursor = self._catalog.search(query, limit, cursor)
        return ProductPage(products=[p.model_copy() for p in found], next_cursor=next_cursor)

    async def get_product(self, product_id: str) -> Product:
        """The product ``product_id`` with its stock now."""
        return self._catalog.get(product_id).model_copy()

    async def restock(self, product_id: str, quantity: int) -> Product:
        """Put ``quantity`` more units of ``product_id`` on hand."""
        product = self._catalog.get(product_id)
        self._stock.add(product_id, quantity)
        return product.model_copy()

    # Carts

    async def create_cart(self, caller: Principal) -> Cart:
        """A new, empty cart belonging to ``caller`` (to nobody if it is anonymous)."""
        return self._carts.create(caller).model_copy()

    async def get_cart(self, caller: Principal, cart_id: str) -> Cart:
        """The cart ``cart_id``, open or checked out."""
        return self._carts.get(cart_id, caller).model_copy()

    async def add_item(
        self, caller: Principal, cart_id: str, product_id: str, quantity: int
    ) -> Cart:
        """Add ``quantity`` units of ``product_id``, up to what is in stock now."""
        cart = self._carts.get_open(cart_id, caller)
        product = self._catalog.get(product_id)
        wanted = quantity_of(cart, product_id) + quantity
        self._carts.check_line(cart, product_id, wanted)
        self._stock.require({product_id: wanted})
        self._carts.set_line(cart, product, wanted)
        return cart.model_copy()

    async def set_quantity(
        self, caller: Principal, cart_id: str, product_id: str, quantity: int
    ) -> Cart:
        """Make the cart hold exactly ``quantity`` of ``product_id``; 0 removes the line."""
        cart = self._carts.get_open(cart_id, caller)
        product = self._catalog.get(product_id)
        if quantity:
            self._carts.check_line(cart, product_id, quantity)
            self._stock.require({product_id: quantity})
        self._carts.set_line(cart, product, quantity)
        return cart.model_copy()

    async def remove_item(self, caller: Principal, cart_id: str, product_id: str) -> Cart:
        """Remove ``product_id`` from the cart; removing what is not there changes nothing."""
        return await self.set_quantity(caller, cart_id, product_id, 0)

    async def clear(self, caller: Principal, cart_id: str) -> Cart:
        """Remove every line."""
        cart = self._carts.get_open(cart_id, caller)
        self._carts.clear(cart)
        return cart.model_copy()

    # Checkout and orders

    async def checkout(
        self, caller: Principal, cart_id: str, card: Card, idempotency_key: str
    ) -> Order:
        """Pay for the cart and turn it into an order of the cart's owner, all or nothing.

        Replays of ``caller``'s ``idempotency_key`` return the order it made, without a new
        charge. Raises ``OutOfStock`` listing every short line, or ``PaymentDeclined``,
        changing nothing either way.
        """
        # Replays come first: they must still answer once the cart has closed, or expired.
        replayed = self._orders.replay(caller, idempotency_key, cart_id)
        if replayed is not None:
            return replayed
        cart = self._carts.get_open(cart_id, caller)
        if not cart.lines:
            raise CartEmpty(data={"cart_id": cart_id})
        wanted = quantities(cart)
        try:
            self._stock.require(wanted)
        except OutOfStock:
            self._sales.out_of_stock += 1
            raise
        lines = [OrderLine.of(self._catalog.get(pid), qty) for pid, qty in wanted.items()]
        total = sum((line.subtotal for line in lines), ZERO)
        currency = self._catalog.currency
        charge = self._processor.charge(card, total, currency, charge_key(caller, idempotency_key))
        # Nothing below can fail: the stock was checked above, and nothing has awaited since.
        self._stock.take(wanted)
        order = Order(
            order_id=new_order_id(self._ids),
            cart_id=cart_id,
            status="paid",
            lines=lines,
            item_count=sum(line.quantity for line in lines),
            total=total,
            currency=currency,
            payment=charge.receipt,
            created_at=datetime.fromtimestamp(self._clock.time(), UTC),
        )
        self._orders.add(order, self._carts.owner(cart), caller, idempotency_key)
        self._carts.close(cart, order.order_id)
        self._sales.sold(order)
        return order

    async def get_order(self, caller: Principal, order_id: str) -> Order:
        """The order ``order_id``, if ``caller`` may read it."""
        return self._orders.get(order_id, caller)

    async def measure(self) -> list[Sample]:
        """Orders, revenue and stock refusals (``app.cart.sales``), since the process started."""
        return self._sales.samples(self._catalog.currency, "since this process started")
