"""cart.*: browse the catalog, fill a cart, pay for it, and read the order back.

Money is exact: every price and total is a string with two decimals, such as `"29.99"`.
A cart made with a key belongs to that key: any other caller is told "not found" for it
and its order. An anonymous cart's unguessable id is its only credential. Checkout is all
or nothing and idempotent by key, so a client may retry it safely.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from app.cart.errors import (
    CartClosed,
    CartEmpty,
    CartLimitExceeded,
    CartNotFound,
    IdempotencyKeyReused,
    InvalidValue,
    OrderNotFound,
    OutOfStock,
    PaymentDeclined,
    ProductNotFound,
)
from app.cart.models import MAX_QUANTITY, Cart, Order, Payment, Product, ProductPage
from app.cart.store import CartStore
from app.rpc.context import CallContext
from app.rpc.errors import InvalidParams
from app.rpc.namespace import Method, Namespace
from handlers.examples import cart as examples

CartId = Annotated[str, Field(min_length=1, max_length=64, description="As cart.create gave it.")]
ProductId = Annotated[
    str, Field(min_length=1, max_length=64, description='A product_id, such as "book".')
]
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY, description="Units, 1 to 1000.")]


async def list_products(
    carts: CartStore,
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

    Products come in catalog order. Pass a page's `next_cursor` back to get the next page;
    it is null on the last one.
    """
    try:
        return await carts.list_products(query, limit, cursor)
    except InvalidValue as exc:
        raise _invalid("cursor", exc) from None


async def get_product(carts: CartStore, product_id: ProductId) -> Product:
    """One product with its price and the stock on hand now."""
    return await carts.get_product(product_id)


async def create(carts: CartStore, ctx: CallContext) -> Cart:
    """Start an empty cart; its `cart_id` is what every other cart method takes.

    Made with a key, the cart is that key's alone; made anonymously, anyone with the id may
    use it. A caller holding its most carts (checked-out ones too, until they expire; all
    anonymous callers count as one) gets -32006 with `resource`, `limit` and `held`;
    -32005 means the server holds its most carts in all.
    """
    return await carts.create_cart(ctx.principal)


async def get(carts: CartStore, ctx: CallContext, cart_id: CartId) -> Cart:
    """The cart: its lines with subtotals, and the total."""
    return await carts.get_cart(ctx.principal, cart_id)


async def add_item(
    carts: CartStore,
    ctx: CallContext,
    cart_id: CartId,
    product_id: ProductId,
    quantity: Quantity = 1,
) -> Cart:
    """Add units of a product, on top of any already in the cart.

    The line may not hold more than is in stock now; stock is checked again at checkout.
    """
    return await carts.add_item(ctx.principal, cart_id, product_id, quantity)


async def set_quantity(
    carts: CartStore,
    ctx: CallContext,
    cart_id: CartId,
    product_id: ProductId,
    quantity: Annotated[
        int, Field(ge=0, le=MAX_QUANTITY, description="Units, 0 to 1000; 0 removes the line.")
    ],
) -> Cart:
    """Make the cart hold exactly this many units of a product."""
    return await carts.set_quantity(ctx.principal, cart_id, product_id, quantity)


async def remove_item(
    carts: CartStore, ctx: CallContext, cart_id: CartId, product_id: ProductId
) -> Cart:
    """Remove a product from the cart (a product not in the cart is already removed)."""
    return await carts.remove_item(ctx.principal, cart_id, product_id)


async def clear(carts: CartStore, ctx: CallContext, cart_id: CartId) -> Cart:
    """Remove every line from the cart."""
    return await carts.clear(ctx.principal, cart_id)


async def checkout(
    carts: CartStore,
    ctx: CallContext,
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
    try:
        card = payment.card()
    except InvalidValue as exc:
        raise _invalid("payment", exc) from None
    return await carts.checkout(ctx.principal, cart_id, card, idempotency_key)


async def get_order(
    carts: CartStore,
    ctx: CallContext,
    order_id: Annotated[str, Field(min_length=1, max_length=64, description="From checkout.")],
) -> Order:
    """An order: its lines, total, status, payment and time."""
    return await carts.get_order(ctx.principal, order_id)


async def restock(
    carts: CartStore,
    product_id: ProductId,
    quantity: Annotated[int, Field(ge=1, le=1_000_000, description="Units to add.")],
) -> Product:
    """Add stock to a product (admin: send `Authorization: Bearer <admin token>`)."""
    try:
        return await carts.restock(product_id, quantity)
    except InvalidValue as exc:
        raise _invalid("quantity", exc) from None


def _invalid(param: str, error: InvalidValue) -> InvalidParams:
    """-32602 for a value the shop refused, found in the param named `param`."""
    problems: list[dict[str, Any]] = []
    for problem in error.problems:
        entry = {
            "path": ".".join((param, *problem["at"])),
            "problem": problem["problem"],
            "type": problem["type"],
        }
        if "value" in problem:
            entry["value"] = problem["value"]
        problems.append(entry)
    return InvalidParams(data=problems)


_CART_ERRORS = [CartNotFound, CartClosed]

namespace = Namespace(
    "cart",
    [
        Method(list_products, idempotent=True, examples=examples.LIST_PRODUCTS),
        Method(
            get_product,
            idempotent=True,
            errors=[ProductNotFound],
            examples=examples.GET_PRODUCT,
        ),
        Method(create, examples=examples.CREATE),
        Method(get, idempotent=True, errors=[CartNotFound], examples=examples.GET),
        Method(
            add_item,
            errors=[*_CART_ERRORS, ProductNotFound, OutOfStock, CartLimitExceeded],
            examples=examples.ADD_ITEM,
        ),
        Method(
            set_quantity,
            idempotent=True,
            errors=[*_CART_ERRORS, ProductNotFound, OutOfStock, CartLimitExceeded],
            examples=examples.SET_QUANTITY,
        ),
        Method(
            remove_item,
            idempotent=True,
            errors=[*_CART_ERRORS, ProductNotFound],
            examples=examples.REMOVE_ITEM,
        ),
        Method(clear, idempotent=True, errors=_CART_ERRORS, examples=examples.CLEAR),
        Method(
            checkout,
            # Safe to retry: the idempotency key makes a repeat return the same order.
            idempotent=True,
            # Card data sent in the wrong place (a param out of order, a misspelt name) must
            # not come back in -32602's data either.
            redact_values=True,
            errors=[*_CART_ERRORS, CartEmpty, OutOfStock, PaymentDeclined, IdempotencyKeyReused],
            examples=examples.CHECKOUT,
        ),
        Method(get_order, idempotent=True, errors=[OrderNotFound], examples=examples.GET_ORDER),
        Method(
            restock,
            scope="cart:admin",
            errors=[ProductNotFound],
            examples=examples.RESTOCK,
        ),
    ],
)
