"""The shop in Redis: stock, carts and orders shared by every replica, kept across restarts.

Each operation that changes anything is one Lua script (``lua/``), so a check and the change
it guards run as one step for all replicas, as memory's operations do in one process:
``checkout`` re-checks every line, takes the stock, keeps the order, records the caller's
key and closes the cart in one script. Reads of stock and orders are one command each.

What depends on the arguments alone is decided in Python first and handed to the script:
ids, the deadline a touched cart gets, whether the product exists, and whether the card is
approved (the processor decides by card and date only). The script raises those refusals
at the point memory raises them, so every error, and every cart it touches, is memory's.

The catalog's products come from the catalog file, as in memory; their stock lives in Redis,
seeded at ``open`` only where Redis has none. Keys, all under ``{<prefix>:cart}:``:

    stock            hash: product id -> units on hand
    products         hash: product id -> its facts for orders (see redis_codec)
    carts            sorted set: cart id -> deadline (the clock's seconds)
    held:<maker>     sorted set: the carts one principal made, by deadline (its quota)
    cart:<id>        hash: maker, owner ("" for nobody), deadline, lines, order ("" open)
    order:<id>       hash: owner, cart, head, lines
    idempotency      hash: a caller's idempotency key (orders.charge_key) -> order id
    sales            hash: orders, cents:<currency> and out_of_stock, counted by checkout
"""

from __future__ import annotations

from importlib import resources

from redis.commands.core import AsyncScript

from app.cart import redis_codec as codec
from app.cart.carts import CART_ID_BYTES
from app.cart.catalog import MAX_STOCK, Catalog
from app.cart.errors import OrderNotFound, PaymentDeclined, ProductNotFound
from app.cart.models import MAX_QUANTITY, Card, Cart, Order, Product, ProductPage
from app.cart.money import from_cents
from app.cart.orders import charge_key, new_order_id
from app.cart.owners import may_use, owner_of
from app.cart.payment import Processor
from app.cart.sales import Sales
from app.rpc.access import Principal
from app.stores import Backend, Sample, StoreContext

PACKAGE = __package__ or "app.cart"


class RedisCartStore(Backend):
    """One shop in Redis; ``CatalogError`` at construction for a bad catalog."""

    def __init__(self, context: StoreContext, processor: Processor | None = None) -> None:
        """``processor`` is the card processor that approves cards (a test-mode one by default)."""
        settings, self._clock = context.settings, context.clock
        self._ids = context.ids
        self._catalog = Catalog.load(settings.cart_catalog)
        self._ttl_s = settings.cart_ttl_s
        self._caps = [str(settings.cart_max_carts), str(settings.cart_max_carts_per_owner)]
        self._line_caps = [str(settings.cart_max_lines), str(MAX_QUANTITY)]
        self._processor = processor or Processor(self._clock)
        self._link = context.link()
        self._keys = self._link.keyspace("cart")
        self._seed = self._link.script_file(PACKAGE, "seed")
        self._restock = self._link.script_file(PACKAGE, "restock")
        self._create, self._change, self._checkout = (
            self._with_lib(name) for name in ("create", "cart", "checkout")
        )

    def _with_lib(self, name: str) -> AsyncScript:
        """The script ``lua/<name>.lua`` after the helpers of ``lua/lib.lua`` it uses."""
        lua = resources.files(PACKAGE).joinpath("lua")
        source = lua.joinpath("lib.lua").read_text() + lua.joinpath(f"{name}.lua").read_text()
        return self._link.script(source)

    async def open(self) -> None:
        """Seed the stock Redis lacks and write every product's facts, in one script."""
        args: list[str | int | bytes] = []
        for product in self._catalog:
            args += [product.product_id, product.stock, codec.facts(product)]
        await self._link.run(self._seed, [self._keys("stock"), self._keys("products")], args)

    # Catalog and stock

    async def list_products(self, query: str | None, limit: int, cursor: str | None) -> ProductPage:
        """A page of products with every word of ``query`` in their name or description."""
        found, next_cursor = self._catalog.search(query, limit, cursor)
        levels = await self._levels([product.product_id for product in found]) if found else []
        products = [p.model_copy(update={"stock": n}) for p, n in zip(found, levels, strict=True)]
        return ProductPage(products=products, next_cursor=next_cursor)

    async def get_product(self, product_id: str) -> Product:
        """The product ``product_id`` with its stock now."""
        product = self._catalog.get(product_id)
        [level] = await self._levels([product_id])
        return product.model_copy(update={"stock": level})

    async def restock(self, product_id: str, quantity: int) -> Product:
        """Put ``quantity`` more units of ``product_id`` on hand."""
        product = self._catalog.get(product_id)
        if quantity <= 0:
            raise ValueError("restock a positive quantity")
        level = await self._link.run(
            self._restock,
            [self._keys("stock")],
            [product_id, quantity, MAX_STOCK],
            errors=codec.ERRORS,
        )
        return product.model_copy(update={"stock": int(level)})

    async def _levels(self, product_ids: list[str]) -> list[int]:
        levels = await self._link.command("HMGET", self._keys("stock"), *product_ids)
        return [int(level) for level in levels]

    # Carts

    async def create_cart(self, caller: Principal) -> Cart:
        """A new, empty cart belonging to ``caller`` (to nobody if it is anonymous)."""
        cart_id = self._ids.new("cart", CART_ID_BYTES)
        _, deadline, args = self._at(caller, cart_id)
        keys = [self._keys("cart", cart_id), self._keys("carts"), self._keys("held", caller.id)]
        args += [owner_of(caller) or "", *self._caps]
        reply = await self._link.run(self._create, keys, args, errors=codec.ERRORS)
        return codec.cart(self._catalog, cart_id, deadline, reply)

    async def get_cart(self, caller: Principal, cart_id: str) -> Cart:
        """The cart ``cart_id``, open or checked out."""
        return await self._cart(caller, cart_id, "get")

    async def add_item(
        self, caller: Principal, cart_id: str, product_id: str, quantity: int
    ) -> Cart:
        """Add ``quantity`` units of ``product_id``, up to what is in stock now."""
        return await self._cart(caller, cart_id, "add", product_id, quantity)

    async def set_quantity(
        self, caller: Principal, cart_id: str, product_id: str, quantity: int
    ) -> Cart:
        """Make the cart hold exactly ``quantity`` of ``product_id``; 0 removes the line."""
        return await self._cart(caller, cart_id, "set", product_id, quantity)

    async def remove_item(self, caller: Principal, cart_id: str, product_id: str) -> Cart:
        """Remove ``product_id`` from the cart; removing what is not there changes nothing."""
        return await self._cart(caller, cart_id, "set", product_id, 0)

    async def clear(self, caller: Principal, cart_id: str) -> Cart:
        """Remove every line."""
        return await self._cart(caller, cart_id, "clear")

    async def _cart(
        self, caller: Principal, cart_id: str, op: str, product_id: str = "", quantity: int = 0
    ) -> Cart:
        """One run of cart.lua: ``op`` is get, add, set (remove is set 0) or clear."""
        unknown = ""  # refused by the script after the cart's own checks, as memory orders them
        if op in {"add", "set"}:
            try:
                self._catalog.get(product_id)
            except ProductNotFound as error:
                unknown = codec.refusal(error)
        _, deadline, args = self._at(caller, cart_id)
        args += [op, product_id, str(quantity), unknown, *self._line_caps]
        keys = [self._keys("cart", cart_id), self._keys("carts"), self._keys("stock")]
        reply = await self._link.run(self._change, keys, args, errors=codec.ERRORS)
        return codec.cart(self._catalog, cart_id, deadline, reply)

    def _at(self, caller: Principal, cart_id: str) -> tuple[float, float, list[str | int | bytes]]:
        """Now, the deadline a cart touched now gets, and the ARGV every cart script begins with."""
        now = self._clock.time()
        deadline = now + self._ttl_s
        admin = "1" if caller.is_admin else ""
        # repr: the shortest text that reads back as the same float, in Lua as in Redis.
        args: list[str | int | bytes] = [self._keys.prefix, repr(now), repr(deadline)]
        return now, deadline, [*args, caller.id, admin, cart_id]

    # Checkout and orders

    async def checkout(
        self, caller: Principal, cart_id: str, card: Card, idempotency_key: str
    ) -> Order:
        """Pay for the cart and turn it into an order of the cart's owner, all or nothing.

        Replays of ``caller``'s ``idempotency_key`` return the order it made, without a new
        charge. Raises ``OutOfStock`` listing every short line, or ``PaymentDeclined``,
        changing nothing either way.
        """
        order_id = new_order_id(self._ids)
        now, _, args = self._at(caller, cart_id)
        head, declined = b"", ""
        try:
            receipt = self._processor.authorize(card)
        except PaymentDeclined as error:
            declined = codec.refusal(error)
        else:
            head = codec.order_head(order_id, cart_id, self._catalog.currency, receipt, now)
        keys = [
            self._keys("cart", cart_id),
            self._keys("carts"),
            self._keys("stock"),
            self._keys("products"),
            self._keys("idempotency"),
            self._keys("order", order_id),
            self._keys("sales"),
        ]
        args += [charge_key(caller, idempotency_key), idempotency_key, order_id, head, declined]
        args.append(self._catalog.currency)
        reply = await self._link.run(self._checkout, keys, args, errors=codec.ERRORS)
        return codec.order(reply)

    async def get_order(self, caller: Principal, order_id: str) -> Order:
        """The order ``order_id``, if ``caller`` may read it."""
        owner, *kept = await self._link.command(
            "HMGET", self._keys("order", order_id), "owner", "head", "lines"
        )
        if owner is None or not may_use(caller, owner.decode() or None):
            raise OrderNotFound(data={"order_id": order_id})
        return codec.order(kept)

    async def measure(self) -> list[Sample]:
        """Orders, revenue and stock refusals (``app.cart.sales``), as checkout scripts counted
        them in Redis: every replica's, in one command."""
        kept = {
            field.decode(): int(count)
            for field, count in (await self._link.command("HGETALL", self._keys("sales"))).items()
        }
        sales = Sales(
            orders=kept.pop("orders", 0),
            out_of_stock=kept.pop("out_of_stock", 0),
            revenue={
                field.removeprefix("cents:"): from_cents(cents) for field, cents in kept.items()
            },
        )
        return sales.samples(self._catalog.currency, "kept in Redis, counted by every replica")
