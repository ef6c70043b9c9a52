"""How the Redis shop writes its records and reads them back, and what its refusals mean.

Redis holds no money arithmetic: a cart keeps product ids and quantities, and an order keeps
each product's facts with its price as a string, so amounts are exact ``Decimal`` computed
here, as memory computes them (only the revenue metric is summed there, in whole cents).
Each cart line is "product quantity" in one space-separated string (product ids never hold a
space; see ``lua/lib.lua``). An order is two JSON strings: its head, written here, and its
lines ``[[facts, quantity], ...]``, joined in Lua from the facts written here at open. Times
are the clock's floats, which orjson writes exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson

from app.cart.catalog import MAX_STOCK, Catalog
from app.cart.errors import (
    CartClosed,
    CartEmpty,
    CartLimitExceeded,
    CartNotFound,
    IdempotencyKeyReused,
    OutOfStock,
    PaymentDeclined,
    ProductNotFound,
    StockLimitExceeded,
)
from app.cart.models import Cart, CartLine, CartStatus, Order, OrderLine, PaymentSummary, Product
from app.cart.money import ZERO, to_wire
from app.redis_link import ErrorFactory
from app.rpc.errors import DomainError, Overloaded, QuotaExceeded

ERRORS: dict[str, ErrorFactory] = {
    # A script names the values; these give them memory's keys, in memory's order.
    "CartNotFound": lambda cart_id: CartNotFound(data={"cart_id": cart_id}),
    "CartClosed": lambda d: CartClosed(data={"cart_id": d[0], "order_id": d[1]}),
    "CartEmpty": lambda cart_id: CartEmpty(data={"cart_id": cart_id}),
    "QuantityLimit": lambda d: CartLimitExceeded(
        data={"limit": "quantity_per_line", "max": d[0], "requested": d[1]}
    ),
    "LinesLimit": lambda d: CartLimitExceeded(
        data={"limit": "lines_per_cart", "max": d[0], "product_id": d[1]}
    ),
    "OutOfStock": lambda short: OutOfStock(
        data={"lines": [{"product_id": p, "requested": r, "available": a} for p, r, a in short]}
    ),
    "QuotaExceeded": lambda d: QuotaExceeded(
        data={"resource": "carts", "limit": d[0], "held": d[1]}
    ),
    "Overloaded": lambda _: Overloaded(data={"reason": "too many open carts; try again later"}),
    "IdempotencyKeyReused": lambda key: IdempotencyKeyReused(data={"idempotency_key": key}),
    "StockLimitExceeded": lambda quantity: StockLimitExceeded(quantity, MAX_STOCK),
    # Decided in Python from the arguments alone; the script raises them at memory's turn.
    "ProductNotFound": lambda data: ProductNotFound(data=data),
    "PaymentDeclined": lambda data: PaymentDeclined(data=data),
}


def refusal(error: DomainError) -> str:
    """``error`` for a script to raise at its turn: ``<name in ERRORS>:<data as JSON>``."""
    return f"{type(error).__name__}:{orjson.dumps(error.data).decode()}"


def facts(product: Product) -> bytes:
    """What an order line keeps of ``product``, so orders outlive catalog changes."""
    return orjson.dumps(
        {
            "product_id": product.product_id,
            "name": product.name,
            "emoji": product.emoji,
            "unit_price": to_wire(product.price),
        }
    )


def order_head(
    order_id: str, cart_id: str, currency: str, receipt: PaymentSummary, now: float
) -> bytes:
    """The parts of an order known before its checkout reads the cart."""
    return orjson.dumps(
        {
            "order_id": order_id,
            "cart_id": cart_id,
            "currency": currency,
            "payment": receipt.model_dump(),
            "created_at": now,
        }
    )


def cart(catalog: Catalog, cart_id: str, deadline: float, reply: Sequence[bytes]) -> Cart:
    """The cart a script answered with its order id ("" while open) and its lines."""
    order_id, words = reply[0].decode(), reply[1].decode().split()
    lines = [
        CartLine.of(catalog.get(product_id), int(quantity))
        for product_id, quantity in zip(words[::2], words[1::2], strict=True)
    ]
    return Cart(
        cart_id=cart_id,
        status=CartStatus.CHECKED_OUT if order_id else CartStatus.OPEN,
        lines=lines,
        item_count=sum(line.quantity for line in lines),
        total=sum((line.subtotal for line in lines), ZERO),
        currency=catalog.currency,
        order_id=order_id or None,
        expires_at=datetime.fromtimestamp(deadline, UTC),
    )


def order(reply: Sequence[bytes]) -> Order:
    """The order kept as its head and lines."""
    head = orjson.loads(reply[0])
    lines = [_order_line(line_facts, quantity) for line_facts, quantity in orjson.loads(reply[1])]
    return Order(
        order_id=head["order_id"],
        cart_id=head["cart_id"],
        status="paid",
        lines=lines,
        item_count=sum(line.quantity for line in lines),
        total=sum((line.subtotal for line in lines), ZERO),
        currency=head["currency"],
        payment=PaymentSummary(**head["payment"]),
        created_at=datetime.fromtimestamp(head["created_at"], UTC),
    )


def _order_line(line_facts: dict[str, Any], quantity: int) -> OrderLine:
    price = Decimal(line_facts["unit_price"])
    return OrderLine(**line_facts, quantity=quantity, subtotal=price * quantity)
