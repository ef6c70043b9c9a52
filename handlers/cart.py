"""cart.*: browse the catalog, fill a cart, pay for it, and read the order back.

Money is exact: every price and total is a string with two decimals, such as ``"29.99"``.
A cart id is unguessable and is the cart's only credential. Checkout is all or nothing and
idempotent by key, so a client may retry it safely.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.auth import require_admin
from app.rpc.context import CallContext
from app.rpc.namespace import Example, Method, Namespace
from app.settings import Settings
from app.shop.carts import (
    MAX_QUANTITY,
    Cart,
    CartClosed,
    CartEmpty,
    CartLimitExceeded,
    CartNotFound,
)
from app.shop.catalog import Product, ProductNotFound, ProductPage
from app.shop.orders import IdempotencyKeyReused, Order, OrderNotFound
from app.shop.payment import Payment, PaymentDeclined
from app.shop.stock import OutOfStock
from app.store import Store

CartId = Annotated[str, Field(min_length=1, max_length=64, description="As cart.create gave it.")]
ProductId = Annotated[
    str, Field(min_length=1, max_length=64, description='A product_id, such as "book".')
]
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY, description="Units, 1 to 1000.")]


async def list_products(
    store: Store,
    query: Annotated[
        str | None,
        Field(
            max_length=100,
            description="Words to find in the name or description, in any case; all must match.",
        ),
    ] = None,
    limit: Annotated[int, Field(ge=1, le=100, description="Products per page.")] = 20,
    cursor: Annotated[
        str | None, Field(max_length=200, description="next_cursor from the previous page.")
    ] = None,
) -> ProductPage:
    """Search the catalog, a page at a time.

    Products come in catalog order. Pass a page's ``next_cursor`` back to get the next page;
    it is null on the last one.
    """
    return await store.shop.list_products(query, limit, cursor)


async def get_product(store: Store, product_id: ProductId) -> Product:
    """One product with its price and the stock on hand now."""
    return await store.shop.get_product(product_id)


async def create(store: Store) -> Cart:
    """Start an empty cart; its ``cart_id`` is what every other cart method takes."""
    return await store.shop.create_cart()


async def get(store: Store, cart_id: CartId) -> Cart:
    """The cart: its lines with subtotals, and the total."""
    return await store.shop.get_cart(cart_id)


async def add_item(
    store: Store, cart_id: CartId, product_id: ProductId, quantity: Quantity = 1
) -> Cart:
    """Add units of a product, on top of any already in the cart.

    The line may not hold more than is in stock now; stock is checked again at checkout.
    """
    return await store.shop.add_item(cart_id, product_id, quantity)


async def set_quantity(
    store: Store,
    cart_id: CartId,
    product_id: ProductId,
    quantity: Annotated[
        int, Field(ge=0, le=MAX_QUANTITY, description="Units, 0 to 1000; 0 removes the line.")
    ],
) -> Cart:
    """Make the cart hold exactly this many units of a product."""
    return await store.shop.set_quantity(cart_id, product_id, quantity)


async def remove_item(store: Store, cart_id: CartId, product_id: ProductId) -> Cart:
    """Remove a product from the cart (a product not in the cart is already removed)."""
    return await store.shop.remove_item(cart_id, product_id)


async def clear(store: Store, cart_id: CartId) -> Cart:
    """Remove every line from the cart."""
    return await store.shop.clear(cart_id)


async def checkout(
    store: Store,
    cart_id: CartId,
    payment: Payment,
    idempotency_key: Annotated[
        str,
        Field(
            min_length=1,
            max_length=255,
            description="Unique per purchase, such as a UUID. A retry with the same key and "
            "cart returns the same order and charges nothing more.",
        ),
    ],
) -> Order:
    """Pay for the cart and turn it into an order, all or nothing.

    In one step: every line is checked against stock, the card is charged, the stock is
    taken, the order is made and the cart is closed. If any line is short (OutOfStock lists
    every one) or the card is declined, nothing changes.
    """
    card = payment.card()
    return await store.shop.checkout(cart_id, card, idempotency_key)


async def get_order(
    store: Store,
    order_id: Annotated[str, Field(min_length=1, max_length=64, description="From checkout.")],
) -> Order:
    """An order: its lines, total, status, payment and time."""
    return await store.shop.get_order(order_id)


async def restock(
    store: Store,
    settings: Settings,
    ctx: CallContext,
    product_id: ProductId,
    quantity: Annotated[int, Field(ge=1, le=1_000_000, description="Units to add.")],
) -> Product:
    """Add stock to a product (admin: send ``Authorization: Bearer <admin token>``)."""
    require_admin(ctx, settings)
    return await store.shop.restock(product_id, quantity)


# Examples: ids are random in practice; the amounts are what the built-in catalog gives.
_CART_ID = "q2Z9xV4kLm8Tr1Yb0sWd3A"
_ORDER_ID = "M7pQ1zR8sT2uV5wX9yA0bC"
_KEYBOARD = {
    "product_id": "keyboard",
    "name": "Mechanical keyboard",
    "description": "Tenkeyless, hot-swappable switches, USB-C cable included.",
    "price": "89.99",
    "currency": "USD",
    "stock": 12,
    "emoji": "⌨️",
}
_LINE = {"product_id": "book", "name": "Python Crash Course (paperback)", "emoji": "📘"}
_EMPTY_CART = {
    "cart_id": _CART_ID,
    "status": "open",
    "lines": [],
    "item_count": 0,
    "total": "0.00",
    "currency": "USD",
    "order_id": None,
    "expires_at": "2027-01-16T08:00:00Z",
}
_CART = {
    **_EMPTY_CART,
    "lines": [{**_LINE, "unit_price": "39.99", "quantity": 2, "subtotal": "79.98"}],
    "item_count": 2,
    "total": "79.98",
}
_ORDER = {
    "order_id": _ORDER_ID,
    "cart_id": _CART_ID,
    "status": "paid",
    "lines": _CART["lines"],
    "item_count": 2,
    "total": "79.98",
    "currency": "USD",
    "payment": {"charge_id": "ch_3kZ8Lq0VwXy2Pn7M", "brand": "visa", "last4": "4242"},
    "created_at": "2027-01-15T08:05:00Z",
}
_CARD = {"card_number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
_CART_ERRORS = [CartNotFound, CartClosed]

namespace = Namespace(
    "cart",
    [
        Method(
            list_products,
            idempotent=True,
            examples=[
                Example(
                    "search",
                    {"query": "keyboard", "limit": 5},
                    {"products": [_KEYBOARD], "next_cursor": None},
                )
            ],
        ),
        Method(
            get_product,
            idempotent=True,
            errors=[ProductNotFound],
            examples=[Example("a keyboard", ["keyboard"], _KEYBOARD)],
        ),
        Method(create, examples=[Example("a new cart", [], _EMPTY_CART)]),
        Method(
            get,
            idempotent=True,
            errors=[CartNotFound],
            examples=[Example("two books", [_CART_ID], _CART)],
        ),
        Method(
            add_item,
            errors=[*_CART_ERRORS, ProductNotFound, OutOfStock, CartLimitExceeded],
            examples=[Example("two books", [_CART_ID, "book", 2], _CART)],
        ),
        Method(
            set_quantity,
            idempotent=True,
            errors=[*_CART_ERRORS, ProductNotFound, OutOfStock, CartLimitExceeded],
            examples=[Example("exactly two books", [_CART_ID, "book", 2], _CART)],
        ),
        Method(
            remove_item,
            idempotent=True,
            errors=[*_CART_ERRORS, ProductNotFound],
            examples=[Example("no more books", [_CART_ID, "book"], _EMPTY_CART)],
        ),
        Method(
            clear,
            idempotent=True,
            errors=_CART_ERRORS,
            examples=[Example("empty it", [_CART_ID], _EMPTY_CART)],
        ),
        Method(
            checkout,
            # Safe to retry: the idempotency key makes a repeat return the same order.
            idempotent=True,
            # Card data sent in the wrong place (a param out of order, a misspelt name) must
            # not come back in -32602's data either.
            redact_values=True,
            errors=[*_CART_ERRORS, CartEmpty, OutOfStock, PaymentDeclined, IdempotencyKeyReused],
            examples=[
                Example(
                    "pay by card",
                    {"cart_id": _CART_ID, "payment": _CARD, "idempotency_key": "order-7f3c"},
                    _ORDER,
                )
            ],
        ),
        Method(
            get_order,
            idempotent=True,
            errors=[OrderNotFound],
            examples=[Example("an order", [_ORDER_ID], _ORDER)],
        ),
        Method(
            restock,
            errors=[ProductNotFound],
            examples=[Example("ten more", ["keyboard", 10], {**_KEYBOARD, "stock": 22})],
        ),
    ],
)
