"""What only the Redis cart store shows: replicas sharing one stock, a restart keeping the
shop, and each operation being one script call.

The CartStore contract suites run on Redis too; these add what one store in one process
cannot show.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from app.cart.errors import OutOfStock
from app.cart.models import Order
from app.cart.redis import RedisCartStore
from app.cart.store import CartStore
from app.clock import ManualClock
from app.redis_link import Link
from app.stores import StoreContext
from tests.helpers import redis_server
from tests.helpers.backends import opened
from tests.helpers.cart import write_catalog
from tests.helpers.cart_machine import SHOPPER, card

pytestmark = redis_server.needs_redis

PAY = card("4242424242424242")


@pytest.fixture
def shop(tmp_path: Path) -> dict[str, Any]:
    """Settings every replica of one shop shares: one Redis, one key prefix, one catalog."""
    return {
        "store": redis_server.shared().url,
        "redis_prefix": redis_server.fresh_prefix(),
        "cart_catalog": write_catalog(tmp_path / "catalog.json", {"gadget": ("19.99", 5)}),
    }


class Replicas:
    """Opens replicas of one shop, each with a Redis pool of its own as another process has."""

    def __init__(self, stack: AsyncExitStack, shop: dict[str, Any], clock: ManualClock) -> None:
        self.stack, self.shop, self.clock = stack, shop, clock
        self.links: list[Link] = []
        """Each replica's link, in the order they opened."""

    async def open(self) -> CartStore:
        store = await self.stack.enter_async_context(opened(self.build, self.clock, **self.shop))
        assert isinstance(store, CartStore)
        return store

    def build(self, context: StoreContext) -> RedisCartStore:
        self.links.append(context.link())
        return RedisCartStore(context)


@pytest.fixture
async def replicas(shop: dict[str, Any], clock: ManualClock) -> AsyncIterator[Replicas]:
    async with AsyncExitStack() as stack:
        yield Replicas(stack, shop, clock)


async def cart_holding(carts: CartStore, units: int) -> str:
    cart_id = (await carts.create_cart(SHOPPER)).cart_id
    await carts.add_item(SHOPPER, cart_id, "gadget", units)
    return cart_id


async def test_two_replicas_sell_the_stock_once(replicas: Replicas) -> None:
    # Opened at once, they seed the stock once; each checks out carts the other made.
    both = await asyncio.gather(replicas.open(), replicas.open())
    cart_ids = [await cart_holding(both[i % 2], 1) for i in range(40)]
    outcomes = await asyncio.gather(
        *(
            both[(i + 1) % 2].checkout(SHOPPER, cart_id, PAY, f"key-{i}")
            for i, cart_id in enumerate(cart_ids)
        ),
        return_exceptions=True,
    )
    orders = [outcome for outcome in outcomes if isinstance(outcome, Order)]
    assert len(orders) == 5
    assert all(isinstance(o, OutOfStock) for o in outcomes if not isinstance(o, Order))
    assert len({order.payment.charge_id for order in orders}) == 5
    for carts in both:
        assert (await carts.get_product("gadget")).stock == 0
        assert [await carts.get_order(SHOPPER, order.order_id) for order in orders] == orders


async def test_a_restart_keeps_carts_orders_stock_and_keys(
    replicas: Replicas, shop: dict[str, Any], clock: ManualClock
) -> None:
    async with opened(RedisCartStore, clock, **shop) as first:
        waiting = await cart_holding(first, 1)
        paid = await cart_holding(first, 2)
        order = await first.checkout(SHOPPER, paid, PAY, "k")
        before = await first.get_cart(SHOPPER, waiting)
    clock.advance(10)
    carts = await replicas.open()
    # The sold units stay sold: opening again seeds no stock Redis already holds.
    assert (await carts.get_product("gadget")).stock == 3
    assert await carts.get_order(SHOPPER, order.order_id) == order
    assert await carts.checkout(SHOPPER, paid, card("4000000000000002"), "k") == order
    after = await carts.get_cart(SHOPPER, waiting)
    assert (after.lines, after.total, after.status) == (before.lines, before.total, before.status)
    assert (await carts.checkout(SHOPPER, waiting, PAY, "k2")).total == before.total
    assert (await carts.get_product("gadget")).stock == 2


@contextmanager
def commands_sent(link: Link) -> Iterator[list[str]]:
    """The name of every command ``link`` sends to Redis meanwhile, one per round trip."""
    sent: list[str] = []
    send: Callable[..., Awaitable[Any]] = link.client.execute_command

    async def counted(*args: Any, **options: Any) -> Any:
        sent.append(str(args[0]))
        return await send(*args, **options)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(link.client, "execute_command", counted)
        yield sent


async def script_calls(link: Link) -> int:
    """EVALSHA calls Redis has answered, counted by Redis itself."""
    stats = await link.command("INFO", "commandstats")
    calls: int = stats["cmdstat_evalsha"]["calls"]
    return calls


async def test_add_item_and_checkout_are_one_script_call_each(replicas: Replicas) -> None:
    carts = await replicas.open()
    [link] = replicas.links
    await carts.checkout(SHOPPER, await cart_holding(carts, 1), PAY, "warm")  # scripts loaded
    cart_id = (await carts.create_cart(SHOPPER)).cart_id
    before = await script_calls(link)
    with commands_sent(link) as sent:
        await carts.add_item(SHOPPER, cart_id, "gadget", 2)
        assert sent == ["EVALSHA"]
        await carts.checkout(SHOPPER, cart_id, PAY, "k")
        assert sent == ["EVALSHA", "EVALSHA"]
    assert await script_calls(link) == before + 2
