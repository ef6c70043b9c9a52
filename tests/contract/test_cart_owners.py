"""The CartStore contract on owners: whom carts and orders answer, on a ManualClock.

A cart made with a key is its principal's (and admin's): anyone else, another key or an
anonymous caller, is told "not found" for it and its order, exactly as for an id that never
existed, and changes nothing. An anonymous cart is anyone's who holds its id. Idempotency
keys are each caller's own. A new backend passes this by joining BACKENDS.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from app.cart.errors import CartNotFound, IdempotencyKeyReused, OrderNotFound
from app.cart.memory import MemoryCartStore
from app.cart.models import CartStatus
from app.cart.redis import RedisCartStore
from app.cart.store import CartStore
from app.clock import ManualClock
from app.rpc.access import ANONYMOUS, Principal
from app.rpc.errors import DomainError
from app.stores import Backend, StoreContext
from tests.helpers.backends import on_redis, opened
from tests.helpers.cart import write_catalog
from tests.helpers.cart_machine import card

Factory = Callable[[StoreContext], Backend]

BACKENDS = [pytest.param(MemoryCartStore, id="memory"), on_redis(RedisCartStore)]

ALICE = Principal("key:alice", "alice", frozenset({"cart"}))
BOB = Principal("key:bob", "bob", frozenset({"cart"}))
ROOT = Principal("key:root", "root", frozenset({"admin"}))
CALLERS = {"anonymous": ANONYMOUS, "alice": ALICE, "bob": BOB, "admin": ROOT}
PAY = card("4242424242424242")
TTL_S = 100.0


@pytest.fixture
async def small_shop(
    backend: Factory, clock: ManualClock, tmp_path: Path
) -> AsyncIterator[CartStore]:
    catalog = write_catalog(tmp_path / "catalog.json", {"a": ("2.00", 50), "b": ("3.00", 50)})
    async with opened(backend, clock, cart_catalog=catalog, cart_ttl_s=TTL_S) as store:
        assert isinstance(store, CartStore)
        yield store


async def cart_of(small_shop: CartStore, owner: Principal) -> str:
    cart_id = (await small_shop.create_cart(owner)).cart_id
    await small_shop.add_item(owner, cart_id, "a", 2)
    return cart_id


def cart_calls(
    small_shop: CartStore, caller: Principal, cart_id: str, key: str = "k"
) -> list[Awaitable[Any]]:
    """Every cart operation on ``cart_id``, made by ``caller``."""
    return [
        small_shop.get_cart(caller, cart_id),
        small_shop.add_item(caller, cart_id, "b", 1),
        small_shop.set_quantity(caller, cart_id, "a", 5),
        small_shop.remove_item(caller, cart_id, "a"),
        small_shop.clear(caller, cart_id),
        small_shop.checkout(caller, cart_id, PAY, key),
    ]


async def refusal(call: Awaitable[Any], error: type[DomainError]) -> dict[str, Any]:
    with pytest.raises(error) as caught:
        await call
    return caught.value.to_error()


def may_use(creator: str, caller: str) -> bool:
    """The rule, stated plainly: anonymous carts are anyone's; keyed ones their key's and admin's."""
    return creator == "anonymous" or creator == caller or caller == "admin"


async def test_another_key_or_anonymous_finds_no_keyed_cart_and_changes_nothing(
    small_shop: CartStore,
) -> None:
    cart_id = await cart_of(small_shop, ALICE)
    before = await small_shop.get_cart(ALICE, cart_id)
    unknown = await refusal(small_shop.get_cart(ALICE, "no-such-cart"), CartNotFound)
    for stranger in (BOB, ANONYMOUS):
        for call in cart_calls(small_shop, stranger, cart_id):
            # The very answer an unknown id gets: code, message and data.
            assert await refusal(call, CartNotFound) == {
                **unknown,
                "data": {"cart_id": cart_id},
            }
    after = await small_shop.get_cart(ALICE, cart_id)
    assert (after.status, after.lines, after.total) == (before.status, before.lines, before.total)
    assert (await small_shop.get_product("a")).stock == 50


@pytest.mark.parametrize(
    ("creator", "caller"), list(itertools.product(CALLERS, repeat=2)), ids="{0[0]}-{0[1]}".format
)
async def test_who_may_use_whose_cart_and_order(
    small_shop: CartStore, creator: str, caller: str
) -> None:
    owner, them = CALLERS[creator], CALLERS[caller]
    cart_id = await cart_of(small_shop, owner)
    order = await small_shop.checkout(owner, await cart_of(small_shop, owner), PAY, "paid")
    if may_use(creator, caller):
        assert (await small_shop.get_cart(them, cart_id)).item_count == 2
        assert (await small_shop.add_item(them, cart_id, "b", 1)).item_count == 3
        assert await small_shop.get_order(them, order.order_id) == order
    else:
        with pytest.raises(CartNotFound):
            await small_shop.add_item(them, cart_id, "b", 1)
        assert await refusal(small_shop.get_order(them, order.order_id), OrderNotFound) == {
            **await refusal(small_shop.get_order(owner, "no-such-order"), OrderNotFound),
            "data": {"order_id": order.order_id},
        }
        assert (await small_shop.get_cart(owner, cart_id)).item_count == 2


async def test_an_anonymous_cart_is_anyones_who_holds_its_id(small_shop: CartStore) -> None:
    cart_id = (await small_shop.create_cart(ANONYMOUS)).cart_id
    for number, caller in enumerate((ALICE, BOB, ANONYMOUS), start=1):
        assert (await small_shop.add_item(caller, cart_id, "a", 1)).item_count == number
    order = await small_shop.checkout(BOB, cart_id, PAY, "k")
    # The order is the cart's owner's, which is nobody: its id is the credential.
    for caller in CALLERS.values():
        assert await small_shop.get_order(caller, order.order_id) == order


async def test_admin_may_change_any_cart_and_its_order_stays_the_owners(
    small_shop: CartStore,
) -> None:
    cart_id = await cart_of(small_shop, ALICE)
    assert (await small_shop.add_item(ROOT, cart_id, "b", 1)).item_count == 3
    order = await small_shop.checkout(ROOT, cart_id, PAY, "k")
    assert await small_shop.get_order(ALICE, order.order_id) == order
    assert await small_shop.get_order(ROOT, order.order_id) == order
    with pytest.raises(OrderNotFound):
        await small_shop.get_order(BOB, order.order_id)
    assert (await small_shop.get_cart(ALICE, cart_id)).status is CartStatus.CHECKED_OUT


async def test_a_replay_returns_the_order_only_to_its_owner(
    small_shop: CartStore, clock: ManualClock
) -> None:
    cart_id = await cart_of(small_shop, ALICE)
    order = await small_shop.checkout(ALICE, cart_id, PAY, "k")
    for stranger in (BOB, ANONYMOUS):
        assert await refusal(small_shop.checkout(stranger, cart_id, PAY, "k"), CartNotFound) == {
            "code": 3002,
            "message": "Cart not found",
            "data": {"cart_id": cart_id},
        }
    clock.advance(TTL_S)  # the cart has expired; the order and its key have not
    assert await small_shop.checkout(ALICE, cart_id, PAY, "k") == order
    with pytest.raises(CartNotFound):
        await small_shop.checkout(BOB, cart_id, PAY, "k")
    assert (await small_shop.get_product("a")).stock == 48


async def test_idempotency_keys_are_each_callers_own(small_shop: CartStore) -> None:
    mine = await small_shop.checkout(ALICE, await cart_of(small_shop, ALICE), PAY, "k")
    # Bob's "k" is not Alice's: it neither collides with hers nor replays her order.
    theirs = await small_shop.checkout(BOB, await cart_of(small_shop, BOB), PAY, "k")
    assert theirs.order_id != mine.order_id
    assert theirs.payment.charge_id != mine.payment.charge_id
    with pytest.raises(IdempotencyKeyReused):
        await small_shop.checkout(ALICE, await cart_of(small_shop, ALICE), PAY, "k")


async def test_a_strangers_calls_do_not_keep_a_cart_alive(
    small_shop: CartStore, clock: ManualClock
) -> None:
    cart_id = await cart_of(small_shop, ALICE)
    clock.advance(TTL_S * 0.6)
    with pytest.raises(CartNotFound):
        await small_shop.get_cart(BOB, cart_id)
    clock.advance(TTL_S * 0.4)  # had Bob's call touched it, it would live on
    with pytest.raises(CartNotFound):
        await small_shop.get_cart(ALICE, cart_id)
