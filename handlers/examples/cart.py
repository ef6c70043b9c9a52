"""Examples for cart.* methods, shown in the OpenRPC document and checked against them.

Ids are random in practice; the amounts are what the built-in catalog gives.
"""

from __future__ import annotations

from typing import Any

from app.rpc.namespace import Example

_CART_ID = "q2Z9xV4kLm8Tr1Yb0sWd3A"
_ORDER_ID = "M7pQ1zR8sT2uV5wX9yA0bC"
_KEYBOARD: dict[str, Any] = {
    "product_id": "keyboard",
    "name": "Mechanical keyboard",
    "description": "Tenkeyless, hot-swappable switches, USB-C cable included.",
    "price": "89.99",
    "currency": "USD",
    "stock": 12,
    "emoji": "⌨️",
}
_LINE = {"product_id": "book", "name": "Python Crash Course (paperback)", "emoji": "📘"}
_EMPTY_CART: dict[str, Any] = {
    "cart_id": _CART_ID,
    "status": "open",
    "lines": [],
    "item_count": 0,
    "total": "0.00",
    "currency": "USD",
    "order_id": None,
    "expires_at": "2027-01-16T08:00:00Z",
}
_CART: dict[str, Any] = {
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

LIST_PRODUCTS: list[Example] = [
    Example(
        "search",
        {"query": "keyboard", "limit": 5},
        {"products": [_KEYBOARD], "next_cursor": None},
    )
]
GET_PRODUCT: list[Example] = [Example("a keyboard", ["keyboard"], _KEYBOARD)]
CREATE: list[Example] = [Example("a new cart", [], _EMPTY_CART)]
GET: list[Example] = [Example("two books", [_CART_ID], _CART)]
ADD_ITEM: list[Example] = [Example("two books", [_CART_ID, "book", 2], _CART)]
SET_QUANTITY: list[Example] = [Example("exactly two books", [_CART_ID, "book", 2], _CART)]
REMOVE_ITEM: list[Example] = [Example("no more books", [_CART_ID, "book"], _EMPTY_CART)]
CLEAR: list[Example] = [Example("empty it", [_CART_ID], _EMPTY_CART)]
CHECKOUT: list[Example] = [
    Example(
        "pay by card",
        {"cart_id": _CART_ID, "payment": _CARD, "idempotency_key": "order-7f3c"},
        _ORDER,
    )
]
GET_ORDER: list[Example] = [Example("an order", [_ORDER_ID], _ORDER)]
RESTOCK: list[Example] = [Example("ten more", ["keyboard", 10], {**_KEYBOARD, "stock": 22})]
