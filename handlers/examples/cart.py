"""Examples for cart.* methods, shown in the OpenRPC document and checked against them.

Ids are random in practice; the amounts are what the built-in catalog gives. Demo mode
(`rpc-hub serve --demo`, app/server/demo.py) seeds the carts and the order named here, so
that the examples, run in order, change cart `CART_ID` step by step and pay for another.
"""

from __future__ import annotations

from typing import Any

from app.rpc.namespace import Example

CART_ID = "q2Z9xV4kLm8Tr1Yb0sWd3A"
"""Two books: read, then changed line by line, then emptied."""
CHECKOUT_CART_ID = "Hx4nP0cR7tL2wQ9zK5mB8e"
"""Two books, paid for by cart.checkout's example."""
PAID_CART_ID = "Zr6yT1bN3kV8qS0dF7gJ2u"
"""Two books, already paid for: order `ORDER_ID`."""
ORDER_ID = "M7pQ1zR8sT2uV5wX9yA0bC"
PAID_WITH_KEY = "order-7f3c"
"""The idempotency key of `ORDER_ID`'s checkout."""
SEEDED_LINES = {"book": 2}
"""What each of those three carts holds in demo mode."""
_KEYBOARD: dict[str, Any] = {
    "product_id": "keyboard",
    "name": "Mechanical keyboard",
    "description": "Tenkeyless, hot-swappable switches, USB-C cable included.",
    "price": "89.99",
    "currency": "USD",
    "stock": 12,
    "emoji": "⌨️",
}
_BOOK = {"product_id": "book", "name": "Python Crash Course (paperback)", "emoji": "📘"}
_KEYBOARD_LINE = {"product_id": "keyboard", "name": "Mechanical keyboard", "emoji": "⌨️"}
_BOOKS = {**_BOOK, "unit_price": "39.99", "quantity": 2, "subtotal": "79.98"}
_ONE_BOOK = {**_BOOK, "unit_price": "39.99", "quantity": 1, "subtotal": "39.99"}
_ONE_KEYBOARD = {**_KEYBOARD_LINE, "unit_price": "89.99", "quantity": 1, "subtotal": "89.99"}
_EMPTY_CART: dict[str, Any] = {
    "cart_id": CART_ID,
    "status": "open",
    "lines": [],
    "item_count": 0,
    "total": "0.00",
    "currency": "USD",
    "order_id": None,
    "expires_at": "2027-01-16T08:00:00Z",
}
_CART: dict[str, Any] = {**_EMPTY_CART, "lines": [_BOOKS], "item_count": 2, "total": "79.98"}


def _order(order_id: str, cart_id: str, charge_id: str, created_at: str) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "cart_id": cart_id,
        "status": "paid",
        "lines": [_BOOKS],
        "item_count": 2,
        "total": "79.98",
        "currency": "USD",
        "payment": {"charge_id": charge_id, "brand": "visa", "last4": "4242"},
        "created_at": created_at,
    }


CARD = {"card_number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}

LIST_PRODUCTS: list[Example] = [
    Example(
        "search",
        {"query": "keyboard", "limit": 5},
        {"products": [_KEYBOARD], "next_cursor": None},
    )
]
GET_PRODUCT: list[Example] = [Example("a keyboard", ["keyboard"], _KEYBOARD)]
CREATE: list[Example] = [
    Example("a new cart", [], {**_EMPTY_CART, "cart_id": "Tq8wE3rY6uI1oP4aS7dF0g"})
]
GET: list[Example] = [Example("two books", [CART_ID], _CART)]
ADD_ITEM: list[Example] = [
    Example(
        "and a keyboard",
        [CART_ID, "keyboard", 1],
        {**_CART, "lines": [_BOOKS, _ONE_KEYBOARD], "item_count": 3, "total": "169.97"},
    )
]
SET_QUANTITY: list[Example] = [
    Example(
        "just one book",
        [CART_ID, "book", 1],
        {**_CART, "lines": [_ONE_BOOK, _ONE_KEYBOARD], "item_count": 2, "total": "129.98"},
    )
]
REMOVE_ITEM: list[Example] = [
    Example(
        "no keyboard after all",
        [CART_ID, "keyboard"],
        {**_CART, "lines": [_ONE_BOOK], "item_count": 1, "total": "39.99"},
    )
]
CLEAR: list[Example] = [Example("empty it", [CART_ID], _EMPTY_CART)]
CHECKOUT: list[Example] = [
    Example(
        "pay by card",
        {"cart_id": CHECKOUT_CART_ID, "payment": CARD, "idempotency_key": "order-2b9d"},
        _order(
            "Jc5vB8nM1qW4eR7tY0uI3o",
            CHECKOUT_CART_ID,
            "ch_9pLk3Vx7Qz1Rm5Tb",
            "2027-01-15T08:05:00Z",
        ),
    )
]
GET_ORDER: list[Example] = [
    Example(
        "an order",
        [ORDER_ID],
        _order(ORDER_ID, PAID_CART_ID, "ch_3kZ8Lq0VwXy2Pn7M", "2027-01-15T07:40:00Z"),
    )
]
RESTOCK: list[Example] = [Example("ten more", ["keyboard", 10], {**_KEYBOARD, "stock": 22})]
