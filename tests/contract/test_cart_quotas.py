"""The CartStore contract on fair shares: how many carts one caller may hold, on a ManualClock.

Each principal id (every anonymous caller is one, "anonymous") holds at most
``cart_max_carts_per_owner`` live carts; past it ``create_cart`` raises ``QuotaExceeded`` with
``resource``, ``limit`` and ``held``. Another caller is unaffected. A checked-out cart is still
held (``get_cart`` reads it), so it counts until it expires; an expired one frees its place.
The shared cap, ``cart_max_carts``, stays ``Overloaded``. A new backend passes this by joining
BACKENDS.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cart.errors import CartNotFound
from app.cart.memory import MemoryCartStore
from app.cart.redis import RedisCartStore
from app.cart.store import CartStore
from app.clock import ManualClock
from app.rpc.access import ANONYMOUS, Principal
from app.rpc.errors import Overloaded, QuotaExceeded
from app.stores import Backend, StoreContext
from tests.helpers.backends import on_redis, opened
from tests.helpers.cart import write_catalog
from tests.helpers.cart_machine import card

Factory = Callable[[StoreContext], Backend]

BACKENDS = [pytest.param(MemoryCartStore, id="memory"), on_redis(RedisCartStore)]

ALICE = Principal("key:alice", "alice", frozenset({"cart"}))
BOB = Principal("key:bob", "bob", frozenset({"cart"}))
ROOT = Principal("key:root", "root", frozenset({"admin"}))
QUOTA = 3
TTL_S = 100.0


def over(held: int, limit: int = QUOTA) -> dict[str, object]:
    return {"resource": "carts", "limit": limit, "held": held}


@pytest.fixture
async def shop(backend: Factory, clock: ManualClock, tmp_path: Path) -> AsyncIterator[CartStore]:
    catalog = write_catalog(tmp_path / "catalog.json", {"a": ("2.00", 50)})
    async with opened(
        backend,
        clock,
        cart_catalog=catalog,
        cart_ttl_s=TTL_S,
        cart_max_carts_per_owner=QUOTA,
        cart_max_carts=100,
    ) as store:
        assert isinstance(store, CartStore)
        yield store


async def fill(shop: CartStore, caller: Principal, count: int = QUOTA) -> list[str]:
    return [(await shop.create_cart(caller)).cart_id for _ in range(count)]


@pytest.mark.parametrize("caller", [ALICE, ANONYMOUS, ROOT], ids=["key", "anonymous", "admin"])
async def test_one_caller_holds_at_most_its_quota(shop: CartStore, caller: Principal) -> None:
    await fill(shop, caller)
    with pytest.raises(QuotaExceeded) as caught:
        await shop.create_cart(caller)
    assert caught.value.code == -32006
    assert caught.value.data == over(QUOTA)


async def test_another_caller_is_unaffected(shop: CartStore) -> None:
    await fill(shop, ALICE)
    with pytest.raises(QuotaExceeded):
        await shop.create_cart(ALICE)
    # Bob, and anonymous callers (all of them one), each have a whole quota of their own.
    for caller in (BOB, ANONYMOUS):
        await fill(shop, caller)
        with pytest.raises(QuotaExceeded):
            await shop.create_cart(caller)
    # Refusals made nothing: alice's carts still work, and no new one appeared.
    with pytest.raises(QuotaExceeded) as caught:
        await shop.create_cart(ALICE)
    assert caught.value.data == over(QUOTA)


async def test_an_expired_cart_frees_its_place(shop: CartStore, clock: ManualClock) -> None:
    first, *_ = await fill(shop, ALICE, 1)
    clock.advance(10)
    await fill(shop, ALICE, 2)
    clock.advance(TTL_S - 10)  # only the first has expired
    with pytest.raises(CartNotFound):
        await shop.get_cart(ALICE, first)
    await shop.create_cart(ALICE)
    with pytest.raises(QuotaExceeded) as caught:
        await shop.create_cart(ALICE)
    assert caught.value.data == over(QUOTA)
    clock.advance(TTL_S)  # all of them, without anyone looking
    assert len(await fill(shop, ALICE)) == QUOTA


async def test_a_used_cart_keeps_its_place(shop: CartStore, clock: ManualClock) -> None:
    kept, *_ = await fill(shop, ALICE)
    clock.advance(TTL_S - 1)
    await shop.get_cart(ALICE, kept)  # touched: it lives on, and keeps counting
    clock.advance(1)
    await fill(shop, ALICE, 2)
    with pytest.raises(QuotaExceeded):
        await shop.create_cart(ALICE)


async def test_a_checked_out_cart_counts_until_it_expires(
    shop: CartStore, clock: ManualClock
) -> None:
    carts = await fill(shop, ALICE)
    await shop.add_item(ALICE, carts[0], "a", 1)
    await shop.checkout(ALICE, carts[0], card("4242424242424242"), "k")
    # Still held, and still readable: it takes memory like an open cart.
    assert (await shop.get_cart(ALICE, carts[0])).order_id is not None
    with pytest.raises(QuotaExceeded):
        await shop.create_cart(ALICE)
    clock.advance(TTL_S)
    assert len(await fill(shop, ALICE)) == QUOTA


async def test_the_quota_is_checked_before_the_shared_cap(
    backend: Factory, clock: ManualClock
) -> None:
    async with opened(backend, clock, cart_max_carts_per_owner=2, cart_max_carts=3) as shop:
        assert isinstance(shop, CartStore)
        await fill(shop, ALICE, 2)
        await fill(shop, BOB, 1)
        with pytest.raises(QuotaExceeded) as caught:  # alice's own quota: hers to free
            await shop.create_cart(ALICE)
        assert caught.value.data == over(2, limit=2)
        with pytest.raises(Overloaded):  # bob is within his, but the shop is full
            await shop.create_cart(BOB)


CALLERS = [ALICE, BOB, ANONYMOUS]
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.sampled_from(range(len(CALLERS)))),
        st.tuples(st.just("wait"), st.sampled_from([1, 10, 40, TTL_S])),
    ),
    max_size=40,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS, quota=st.integers(1, 4), cap=st.integers(1, 8))
async def test_creates_match_a_model_of_live_carts(
    backend: Factory, steps: list[tuple[str, float]], quota: int, cap: int
) -> None:
    """Each caller's live carts never pass the quota, and every refusal is the expected one."""
    clock = ManualClock()
    # Deadlines of each caller's live carts (creates only: nothing else touches them here).
    live: dict[str, list[float]] = {caller.id: [] for caller in CALLERS}
    async with opened(
        backend, clock, cart_max_carts_per_owner=quota, cart_max_carts=cap, cart_ttl_s=TTL_S
    ) as shop:
        assert isinstance(shop, CartStore)
        for step, arg in steps:
            if step == "wait":
                clock.advance(arg)
                continue
            caller = CALLERS[int(arg)]
            now = clock.time()
            for deadlines in live.values():
                deadlines[:] = [d for d in deadlines if d > now]
            held, total = len(live[caller.id]), sum(map(len, live.values()))
            if held == quota:
                with pytest.raises(QuotaExceeded) as caught:
                    await shop.create_cart(caller)
                assert caught.value.data == over(held, limit=quota)
            elif total == cap:
                with pytest.raises(Overloaded):
                    await shop.create_cart(caller)
            else:
                await shop.create_cart(caller)
                live[caller.id].append(now + TTL_S)
