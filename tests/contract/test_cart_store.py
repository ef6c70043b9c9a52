"""The CartStore contract: what every backend of cart.* guarantees, on a ManualClock.

Stock is never oversold, a checkout is all or nothing and idempotent by key, carts expire
after their time to live, and every size is capped. Results are snapshots. A new backend
passes this by joining BACKENDS.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from app.cart.catalog import MAX_STOCK
from app.cart.errors import (
    CartClosed,
    CartEmpty,
    CartLimitExceeded,
    CartNotFound,
    IdempotencyKeyReused,
    OrderNotFound,
    OutOfStock,
    PaymentDeclined,
    ProductNotFound,
    StockLimitExceeded,
    UnknownCursor,
)
from app.cart.memory import MemoryCartStore
from app.cart.models import MAX_QUANTITY, CartStatus, Order, Product
from app.cart.redis import RedisCartStore
from app.cart.store import CartStore
from app.clock import ManualClock
from app.rpc.errors import Overloaded
from app.stores import Backend, StoreContext
from tests.helpers.backends import on_redis, opened
from tests.helpers.cart import write_catalog
from tests.helpers.cart_machine import SHOPPER, CartMachine, card

Factory = Callable[[StoreContext], Backend]
OpenCarts = Callable[..., Awaitable[CartStore]]

BACKENDS = [pytest.param(MemoryCartStore, id="memory"), on_redis(RedisCartStore)]

PAY = card("4242424242424242")
DECLINE = card("4000000000000002")


@pytest.fixture
async def open_carts(
    backend: Factory, clock: ManualClock, tmp_path: Path
) -> AsyncIterator[OpenCarts]:
    """Open cart stores on the test's clock, selling ``stock`` (product id -> (price, units))
    or the built-in catalog, with settings overrides; all close at the end.
    """
    async with AsyncExitStack() as stack:

        async def open_(
            stock: dict[str, tuple[str, int]] | None = None, **overrides: Any
        ) -> CartStore:
            if stock is not None:
                overrides["cart_catalog"] = write_catalog(tmp_path / "catalog.json", stock)
            store = await stack.enter_async_context(opened(backend, clock, **overrides))
            assert isinstance(store, CartStore)
            return store

        yield open_


@pytest.fixture
async def carts(open_carts: OpenCarts) -> CartStore:
    return await open_carts()


async def cart_holding(carts: CartStore, *lines: tuple[str, int]) -> str:
    cart_id = (await carts.create_cart(SHOPPER)).cart_id
    for product_id, quantity in lines:
        await carts.add_item(SHOPPER, cart_id, product_id, quantity)
    return cart_id


# Catalog and stock


async def test_pages_cover_the_catalog_once_and_cursors_are_checked(carts: CartStore) -> None:
    everything = await carts.list_products(None, 100, None)
    assert everything.next_cursor is None
    seen: list[Product] = []
    cursor: str | None = None
    while True:
        page = await carts.list_products(None, 3, cursor)
        seen.extend(page.products)
        if (cursor := page.next_cursor) is None:
            break
    assert seen == everything.products
    with pytest.raises(UnknownCursor):
        await carts.list_products(None, 3, "not-a-cursor")


async def test_unknown_products_name_near_misses(carts: CartStore) -> None:
    with pytest.raises(ProductNotFound) as caught:
        await carts.get_product("keybord")
    assert caught.value.data == {"product_id": "keybord", "did_you_mean": ["keyboard"]}


async def test_restock_adds_up_to_the_limit_and_no_further(open_carts: OpenCarts) -> None:
    carts = await open_carts({"book": ("5.00", MAX_STOCK - 10)})
    assert (await carts.restock("book", 10)).stock == MAX_STOCK
    with pytest.raises(StockLimitExceeded) as caught:
        await carts.restock("book", 1)
    assert caught.value.problems == [
        {"at": (), "problem": f"Stock would exceed {MAX_STOCK}", "type": "stock_limit", "value": 1}
    ]
    assert (await carts.get_product("book")).stock == MAX_STOCK
    with pytest.raises(ProductNotFound):
        await carts.restock("unicorn", 1)


async def test_results_are_snapshots(open_carts: OpenCarts) -> None:
    carts = await open_carts({"a": ("1.00", 5)})
    product = await carts.get_product("a")
    cart_id = await cart_holding(carts, ("a", 2))
    cart = await carts.get_cart(SHOPPER, cart_id)
    await carts.add_item(SHOPPER, cart_id, "a", 1)
    await carts.checkout(SHOPPER, cart_id, PAY, "k")
    assert product.stock == 5
    assert (cart.status, [line.quantity for line in cart.lines]) == (CartStatus.OPEN, [2])


# Carts


async def test_lines_hold_what_is_in_stock_and_nothing_more(open_carts: OpenCarts) -> None:
    carts = await open_carts({"a": ("1.25", 3), "b": ("2.00", 9)})
    cart_id = await cart_holding(carts, ("a", 2), ("b", 1))
    with pytest.raises(OutOfStock) as caught:
        await carts.add_item(SHOPPER, cart_id, "a", 2)
    assert caught.value.data == {"lines": [{"product_id": "a", "requested": 4, "available": 3}]}
    cart = await carts.set_quantity(SHOPPER, cart_id, "b", 4)
    assert [(line.product_id, line.quantity, line.subtotal) for line in cart.lines] == [
        ("a", 2, Decimal("2.50")),
        ("b", 4, Decimal("8.00")),
    ]
    assert (cart.item_count, cart.total) == (6, Decimal("10.50"))
    assert [line.product_id for line in (await carts.remove_item(SHOPPER, cart_id, "a")).lines] == [
        "b"
    ]
    assert (await carts.remove_item(SHOPPER, cart_id, "a")).item_count == 4
    assert (await carts.clear(SHOPPER, cart_id)).lines == []


async def test_each_cart_holds_at_most_max_lines_and_max_quantity(open_carts: OpenCarts) -> None:
    stock = {"a": ("1.00", 5000), "b": ("1.00", 5), "c": ("1.00", 5)}
    carts = await open_carts(stock, cart_max_lines=2)
    cart_id = await cart_holding(carts, ("a", 1), ("b", 1))
    with pytest.raises(CartLimitExceeded) as caught:
        await carts.add_item(SHOPPER, cart_id, "c", 1)
    assert caught.value.data == {"limit": "lines_per_cart", "max": 2, "product_id": "c"}
    await carts.add_item(SHOPPER, cart_id, "b", 1)  # a line already held is no new line
    with pytest.raises(CartLimitExceeded) as caught:
        await carts.add_item(SHOPPER, cart_id, "a", MAX_QUANTITY)
    assert caught.value.data == {
        "limit": "quantity_per_line",
        "max": MAX_QUANTITY,
        "requested": MAX_QUANTITY + 1,
    }


async def test_at_most_max_carts_live_at_once(open_carts: OpenCarts, clock: ManualClock) -> None:
    carts = await open_carts(cart_max_carts=2, cart_ttl_s=60.0)
    await carts.create_cart(SHOPPER)
    await carts.create_cart(SHOPPER)
    with pytest.raises(Overloaded):
        await carts.create_cart(SHOPPER)
    clock.advance(60)
    await carts.create_cart(SHOPPER)  # the expired ones made room


async def test_an_idle_cart_expires_after_its_ttl(
    open_carts: OpenCarts, clock: ManualClock
) -> None:
    carts = await open_carts(cart_ttl_s=100.0)
    cart = await carts.create_cart(SHOPPER)
    assert cart.expires_at == datetime.fromtimestamp(clock.time() + 100, UTC)
    clock.advance(99)
    assert (await carts.get_cart(SHOPPER, cart.cart_id)).expires_at == datetime.fromtimestamp(
        clock.time() + 100, UTC
    )  # using it postponed its expiry
    clock.advance(99)
    await carts.add_item(SHOPPER, cart.cart_id, "book", 1)
    clock.advance(100)
    with pytest.raises(CartNotFound) as caught:
        await carts.get_cart(SHOPPER, cart.cart_id)
    assert caught.value.data == {"cart_id": cart.cart_id}


# Checkout and orders


async def test_checkout_makes_the_order_takes_the_stock_and_closes_the_cart(
    open_carts: OpenCarts, clock: ManualClock
) -> None:
    carts = await open_carts({"a": ("1.10", 5), "b": ("0.45", 5)})
    cart_id = await cart_holding(carts, ("a", 2), ("b", 3))
    clock.advance(30)
    order = await carts.checkout(SHOPPER, cart_id, PAY, "k")
    assert (order.cart_id, order.status, order.total, order.item_count) == (
        cart_id,
        "paid",
        Decimal("3.55"),
        5,
    )
    assert (order.payment.brand, order.payment.last4) == ("visa", "4242")
    assert order.created_at == datetime.fromtimestamp(clock.time(), UTC)
    assert await carts.get_order(SHOPPER, order.order_id) == order
    assert [(await carts.get_product(p)).stock for p in "ab"] == [3, 2]
    cart = await carts.get_cart(SHOPPER, cart_id)
    assert (cart.status, cart.order_id) == (CartStatus.CHECKED_OUT, order.order_id)
    with pytest.raises(CartClosed):
        await carts.add_item(SHOPPER, cart_id, "a", 1)
    with pytest.raises(CartClosed):
        await carts.clear(SHOPPER, cart_id)
    with pytest.raises(CartClosed):
        await carts.checkout(SHOPPER, cart_id, PAY, "another key")


async def test_a_replay_returns_the_same_order_and_charge(open_carts: OpenCarts) -> None:
    carts = await open_carts({"a": ("5.00", 3)})
    cart_id = await cart_holding(carts, ("a", 1))
    first = await carts.checkout(SHOPPER, cart_id, PAY, "k")
    assert await carts.checkout(SHOPPER, cart_id, DECLINE, "k") == first
    assert (await carts.get_product("a")).stock == 2
    other = await cart_holding(carts, ("a", 1))
    with pytest.raises(IdempotencyKeyReused) as caught:
        await carts.checkout(SHOPPER, other, PAY, "k")
    assert caught.value.data == {"idempotency_key": "k"}
    assert (await carts.get_cart(SHOPPER, other)).status is CartStatus.OPEN


async def test_a_failed_checkout_changes_nothing(open_carts: OpenCarts) -> None:
    carts = await open_carts({"a": ("1.00", 5), "b": ("1.00", 5), "c": ("1.00", 5)})
    with pytest.raises(CartEmpty):
        await carts.checkout(SHOPPER, await cart_holding(carts), PAY, "empty")
    mine = await cart_holding(carts, ("a", 3), ("b", 4), ("c", 5))
    rival = await carts.checkout(
        SHOPPER, await cart_holding(carts, ("a", 4), ("c", 1)), PAY, "rival"
    )
    with pytest.raises(OutOfStock) as caught:
        await carts.checkout(SHOPPER, mine, PAY, "mine")
    assert caught.value.data == {
        "lines": [
            {"product_id": "a", "requested": 3, "available": 1},
            {"product_id": "c", "requested": 5, "available": 4},
        ]
    }
    await carts.set_quantity(SHOPPER, mine, "a", 1)
    await carts.set_quantity(SHOPPER, mine, "c", 4)
    with pytest.raises(PaymentDeclined) as declined:
        await carts.checkout(SHOPPER, mine, DECLINE, "mine")
    assert declined.value.data == {
        "decline_code": "card_declined",
        "brand": "visa",
        "last4": "0002",
    }
    assert [(await carts.get_product(p)).stock for p in "abc"] == [1, 5, 4]
    assert (await carts.get_cart(SHOPPER, mine)).status is CartStatus.OPEN
    # The key made no order, so it may pay with another card.
    order = await carts.checkout(SHOPPER, mine, PAY, "mine")
    assert order.payment.charge_id != rival.payment.charge_id
    assert [(await carts.get_product(p)).stock for p in "abc"] == [0, 1, 0]


async def test_unknown_orders_are_not_found(carts: CartStore) -> None:
    with pytest.raises(OrderNotFound) as caught:
        await carts.get_order(SHOPPER, "nope")
    assert caught.value.data == {"order_id": "nope"}


async def test_concurrent_checkouts_against_stock_n_sell_exactly_n(open_carts: OpenCarts) -> None:
    units, buyers = 7, 30
    carts = await open_carts({"gadget": ("19.99", units)})
    cart_ids = [await cart_holding(carts, ("gadget", 1)) for _ in range(buyers)]
    outcomes = await asyncio.gather(
        *(carts.checkout(SHOPPER, cart_id, PAY, f"key-{i}") for i, cart_id in enumerate(cart_ids)),
        return_exceptions=True,
    )
    orders = [outcome for outcome in outcomes if isinstance(outcome, Order)]
    assert len(orders) == units
    assert all(isinstance(o, OutOfStock) for o in outcomes if not isinstance(o, Order))
    assert len({order.payment.charge_id for order in orders}) == units
    assert (await carts.get_product("gadget")).stock == 0


async def test_concurrent_replays_of_one_checkout_make_one_order(open_carts: OpenCarts) -> None:
    carts = await open_carts({"gadget": ("5.00", 3)})
    cart_id = await cart_holding(carts, ("gadget", 1))
    orders = await asyncio.gather(
        *(carts.checkout(SHOPPER, cart_id, PAY, "one") for _ in range(10))
    )
    assert len({order.order_id for order in orders}) == 1
    assert len({order.payment.charge_id for order in orders}) == 1
    assert (await carts.get_product("gadget")).stock == 2


# Any interleaving


def test_the_invariants_hold_under_any_interleaving(backend: Factory, tmp_path: Path) -> None:
    run_state_machine_as_test(
        # Any zero-argument factory will do, as hypothesis documents; its annotation says type.
        lambda: CartMachine(backend, tmp_path),  # type: ignore[arg-type]
        settings=settings(
            max_examples=200,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
