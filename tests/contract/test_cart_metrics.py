"""The shop's metrics, on every backend: paid orders, their revenue exactly as the orders
add up, and checkouts refused for stock; replays, declines and other refusals count nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path

import pytest

from app.cart.errors import OutOfStock, PaymentDeclined
from app.cart.memory import MemoryCartStore
from app.cart.redis import RedisCartStore
from app.cart.store import CartStore
from app.clock import ManualClock
from app.stores import Backend, StoreContext
from tests.helpers.backends import on_redis, opened
from tests.helpers.cart import write_catalog
from tests.helpers.cart_machine import SHOPPER, card
from tests.helpers.samples import measure, value

Factory = Callable[[StoreContext], Backend]
BACKENDS = [pytest.param(MemoryCartStore, id="memory"), on_redis(RedisCartStore)]
PAY = card("4242424242424242")
DECLINE = card("4000000000000002")


@pytest.fixture
async def carts(backend: Factory, clock: ManualClock, tmp_path: Path) -> AsyncIterator[CartStore]:
    stock = {"gadget": ("19.99", 5), "cable": ("0.10", 100)}
    catalog = write_catalog(tmp_path / "catalog.json", stock, currency="EUR")
    async with opened(backend, clock, cart_catalog=catalog) as store:
        assert isinstance(store, CartStore)
        yield store


async def cart_of(carts: CartStore, **lines: int) -> str:
    cart_id = (await carts.create_cart(SHOPPER)).cart_id
    for product_id, quantity in lines.items():
        await carts.add_item(SHOPPER, cart_id, product_id, quantity)
    return cart_id


async def sales(carts: CartStore) -> tuple[float, float, float]:
    found = await measure(carts)
    return (
        value(found, "rpc_cart_orders_total"),
        value(found, "rpc_cart_revenue_total", currency="EUR"),
        value(found, "rpc_cart_out_of_stock_total"),
    )


async def test_a_new_shop_has_sold_nothing(carts: CartStore) -> None:
    assert await sales(carts) == (0, 0, 0)


async def test_orders_and_their_exact_revenue_are_counted_once(carts: CartStore) -> None:
    first = await cart_of(carts, gadget=2, cable=3)
    order = await carts.checkout(SHOPPER, first, PAY, "k1")
    await carts.checkout(SHOPPER, first, PAY, "k1")  # a replay: the same order
    assert await sales(carts) == (1, float(order.total), 0)
    # Ten orders of 0.10: floats added up would make 0.9999999999999999.
    for n in range(10):
        await carts.checkout(SHOPPER, await cart_of(carts, cable=1), PAY, f"cable-{n}")
    assert await sales(carts) == (11, float(Decimal("40.28") + Decimal("1.00")), 0)


async def test_checkouts_refused_for_stock_are_counted_and_nothing_else(
    carts: CartStore,
) -> None:
    short = await cart_of(carts, gadget=4)
    await carts.checkout(SHOPPER, await cart_of(carts, gadget=2), PAY, "rival")
    with pytest.raises(OutOfStock):
        await carts.checkout(SHOPPER, short, PAY, "mine")
    with pytest.raises(OutOfStock):  # adding past the stock is not a checkout
        await carts.add_item(SHOPPER, await cart_of(carts), "gadget", 9)
    with pytest.raises(PaymentDeclined):
        await carts.checkout(SHOPPER, await cart_of(carts, cable=1), DECLINE, "declined")
    assert await sales(carts) == (1, 39.98, 1)
