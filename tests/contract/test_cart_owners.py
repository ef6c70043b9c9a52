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
from app.cart.store import CartStore
from app.clock import ManualClock
from app.rpc.access import ANONYMOUS, Principal
from app.rpc.errors import DomainError
from app.stores import Backend, StoreContext
from tests.helpers.backends import opened
from tests.helpers.cart import write_catalog
from tests.helpers.cart_machine import card

Factory = Callable[[StoreContext], Backend]

BACKENDS = [pytest.param(MemoryCartStore, id="memory")]

ALICE = Principal("key:alice", "alice", frozenset({"cart"}))
BOB = Principal("key:bob", "bob", frozenset({"cart"}))
ROOT = Principal("key:root", "root", frozenset({"admin"}))
CALLERS = {"anonymous": ANONYMOUS, "alice": ALICE, "bob": BOB, "admin": ROOT}
PAY = card("4242424242424242")
TTL_S = 100.0


@pytest.fixture
async def shop(backend: Factory, clock: ManualClock, tmp_path: Path) -> AsyncIterator[CartStore]:
    catalog = write_catalog(tmp_path / "catalog.json", {"a": ("2.00", 50), "b": ("3.00", 50)})
    async with opened(backend, clock, cart_catalog=catalog, cart_ttl_s=TTL_S) as store:
        assert isinstance(store, CartStore)
        yield store


async def cart_of(shop: CartStore, owner: Principal) -> str:
    cart_id = (await shop.create_cart(owner)).cart_id
    await shop.add_item(owner, cart_id, "a", 2)
    return cart_id


def cart_calls(
    shop: CartStore, caller: Principal, cart_id: str, key: str = "k"
) -> list[Awaitable[Any]]:
    """Every cart operation on ``cart_id``, made by ``caller``."""
    return [
        shop.get_cart(caller, cart_id),
        shop.add_item(caller, cart_id, "b", 1),
        shop.set_quantity(caller, cart_id, "a", 5),
        shop.remove_item(caller, cart_id, "a"),
        shop.clear(caller, cart_id),
        shop.checkout(caller, cart_id, PAY, key),
    ]


async def refusal(call: Awaitable[Any], error: type[DomainError]) -> dict[str, Any]:
    with pytest.raises(error) as caught:
        await call
    return caught.value.to_error()


def may_use(creator: str, caller: str) -> bool:
    """The rule, stated plainly: anonymous carts are anyone's; keyed ones their key's and admin's."""
    return creator == "anonymous" or creator == caller or caller == "admin"


async def test_another_key_or_anonymous_finds_no_keyed_cart_and_changes_nothing(
    shop: CartStore,
) -> None:
    cart_id = await cart_of(shop, ALICE)
    before = await shop.get_cart(ALICE, cart_id)
    unknown = await refusal(shop.get_cart(ALICE, "no-such-cart"), CartNotFound)
    for stranger in (BOB, ANONYMOUS):
        for call in cart_calls(shop, stranger, cart_id):
            # The very answer an unknown id gets: code, message and data.
            assert await refusal(call, CartNotFound) == {
                **unknown,
                "data": {"cart_id": cart_id},
            }
    after = await shop.get_cart(ALICE, cart_id)
    assert (after.status, after.lines, after.total) == (before.status, before.lines, before.total)
    assert (await shop.get_product("a")).stock == 50


@pytest.mark.parametrize(
    ("creator", "caller"), list(itertools.product(CALLERS, repeat=2)), ids="{0[0]}-{0[1]}".format
)
async def test_who_may_use_whose_cart_and_order(shop: CartStore, creator: str, caller: str) -> None:
    owner, them = CALLERS[creator], CALLERS[caller]
    cart_id = await cart_of(shop, owner)
    order = await shop.checkout(owner, await cart_of(shop, owner), PAY, "paid")
    if may_use(creator, caller):
        assert (await shop.get_cart(them, cart_id)).item_count == 2
        assert (await shop.add_item(them, cart_id, "b", 1)).item_count == 3
        assert await shop.get_order(them, order.order_id) == order
    else:
        with pytest.raises(CartNotFound):
            await shop.add_item(them, cart_id, "b", 1)
        assert await refusal(shop.get_order(them, order.order_id), OrderNotFound) == {
            **await refusal(shop.get_order(owner, "no-such-order"), OrderNotFound),
            "data": {"order_id": order.order_id},
        }
        assert (await shop.get_cart(owner, cart_id)).item_count == 2


async def test_an_anonymous_cart_is_anyones_who_holds_its_id(shop: CartStore) -> None:
    cart_id = (await shop.create_cart(ANONYMOUS)).cart_id
    for number, caller in enumerate((ALICE, BOB, ANONYMOUS), start=1):
        assert (await shop.add_item(caller, cart_id, "a", 1)).item_count == number
    order = await shop.checkout(BOB, cart_id, PAY, "k")
    # The order is the cart's owner's, which is nobody: its id is the credential.
    for caller in CALLERS.values():
        assert await shop.get_order(caller, order.order_id) == order


async def test_admin_may_change_any_cart_and_its_order_stays_the_owners(shop: CartStore) -> None:
    cart_id = await cart_of(shop, ALICE)
    assert (await shop.add_item(ROOT, cart_id, "b", 1)).item_count == 3
    order = await shop.checkout(ROOT, cart_id, PAY, "k")
    assert await shop.get_order(ALICE, order.order_id) == order
    assert await shop.get_order(ROOT, order.order_id) == order
    with pytest.raises(OrderNotFound):
        await shop.get_order(BOB, order.order_id)
    assert (await shop.get_cart(ALICE, cart_id)).status is CartStatus.CHECKED_OUT


async def test_a_replay_returns_the_order_only_to_its_owner(
    shop: CartStore, clock: ManualClock
) -> None:
    cart_id = await cart_of(shop, ALICE)
    order = await shop.checkout(ALICE, cart_id, PAY, "k")
    for stranger in (BOB, ANONYMOUS):
        assert await refusal(shop.checkout(stranger, cart_id, PAY, "k"), CartNotFound) == {
            "code": 3002,
            "message": "Cart not found",
            "data": {"cart_id": cart_id},
        }
    clock.advance(TTL_S)  # the cart has expired; the order and its key have not
    assert await shop.checkout(ALICE, cart_id, PAY, "k") == order
    with pytest.raises(CartNotFound):
        await shop.checkout(BOB, cart_id, PAY, "k")
    assert (await shop.get_product("a")).stock == 48


async def test_idempotency_keys_are_each_callers_own(shop: CartStore) -> None:
    mine = await shop.checkout(ALICE, await cart_of(shop, ALICE), PAY, "k")
    # Bob's "k" is not Alice's: it neither collides with hers nor replays her order.
    theirs = await shop.checkout(BOB, await cart_of(shop, BOB), PAY, "k")
    assert theirs.order_id != mine.order_id
    assert theirs.payment.charge_id != mine.payment.charge_id
    with pytest.raises(IdempotencyKeyReused):
        await shop.checkout(ALICE, await cart_of(shop, ALICE), PAY, "k")


async def test_a_strangers_calls_do_not_keep_a_cart_alive(
    shop: CartStore, clock: ManualClock
) -> None:
    cart_id = await cart_of(shop, ALICE)
    clock.advance(TTL_S * 0.6)
    with pytest.raises(CartNotFound):
        await shop.get_cart(BOB, cart_id)
    clock.advance(TTL_S * 0.4)  # had Bob's call touched it, it would live on
    with pytest.raises(CartNotFound):
        await shop.get_cart(ALICE, cart_id)
