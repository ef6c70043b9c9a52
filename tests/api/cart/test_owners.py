"""Whose carts and orders answer whom, over /rpc: keys, anonymous callers and the admin token.

A cart made with a key is that key's: another key, or a call without one, gets the answer an
unknown id gets, for the cart and for its order. An anonymous cart is anyone's who holds its
id. The admin token may read and change any cart, and read any order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cart import checkout_params
from tests.helpers.keys import bearer, new_key
from tests.helpers.rpc import Client, MakeClient, post

ADMIN = "shop-admin-secret"


@dataclass
class Shop:
    client: Client
    alice: dict[str, str]
    bob: dict[str, str]
    admin: dict[str, str]
    anonymous: dict[str, str]

    async def call(self, who: dict[str, str], method: str, params: Any = None) -> Any:
        """One call as ``who`` (its headers); return the response object."""
        request: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": 1}
        if params is not None:
            request["params"] = params
        status, body = await post(self.client, request, **who)
        assert status == 200
        return body

    async def result(self, who: dict[str, str], method: str, params: Any = None) -> Any:
        response = await self.call(who, method, params)
        assert "error" not in response, response
        return response["result"]

    async def error(self, who: dict[str, str], method: str, params: Any = None) -> Any:
        response = await self.call(who, method, params)
        assert "result" not in response, response
        return response["error"]

    async def cart(self, who: dict[str, str]) -> str:
        """A cart made by ``who``, holding two books; return its id."""
        cart_id: str = (await self.result(who, "cart.create"))["cart_id"]
        await self.result(who, "cart.add_item", [cart_id, "book", 2])
        return cart_id


@pytest.fixture
async def shop(make_client: MakeClient, tmp_path: Path) -> Shop:
    keys = tmp_path / "keys.jsonl"
    alice, bob = new_key(keys, "alice", "cart"), new_key(keys, "bob", "cart")
    client = await make_client(keys_file=str(keys), admin_token=ADMIN, anonymous_scopes=("cart",))
    return Shop(client, bearer(alice), bearer(bob), bearer(ADMIN), {})


def cart_calls(cart_id: str) -> list[tuple[str, Any]]:
    """Every cart method, with params for ``cart_id``."""
    return [
        ("cart.get", [cart_id]),
        ("cart.add_item", [cart_id, "pen", 1]),
        ("cart.set_quantity", [cart_id, "book", 5]),
        ("cart.remove_item", [cart_id, "book"]),
        ("cart.clear", [cart_id]),
        ("cart.checkout", checkout_params(cart_id, "k")),
    ]


async def test_another_key_or_no_key_gets_not_found_for_a_keyed_cart(shop: Shop) -> None:
    cart_id = await shop.cart(shop.alice)
    before = await shop.result(shop.alice, "cart.get", [cart_id])
    for stranger in (shop.bob, shop.anonymous):
        for (method, params), (_, nowhere) in zip(
            cart_calls(cart_id), cart_calls("no-such-cart"), strict=True
        ):
            unknown = await shop.error(stranger, method, nowhere)
            assert unknown == {
                "code": 3002,
                "message": "Cart not found",
                "data": {"cart_id": "no-such-cart"},
            }
            # Just as for an id that never existed: the cart's existence does not leak.
            assert await shop.error(stranger, method, params) == {
                **unknown,
                "data": {"cart_id": cart_id},
            }
    after = await shop.result(shop.alice, "cart.get", [cart_id])
    assert (after["status"], after["lines"]) == (before["status"], before["lines"])


async def test_a_keyed_order_is_not_found_for_anyone_else_and_replays_only_for_its_owner(
    shop: Shop,
) -> None:
    cart_id = await shop.cart(shop.alice)
    order = await shop.result(shop.alice, "cart.checkout", checkout_params(cart_id, "k"))
    for stranger in (shop.bob, shop.anonymous):
        assert await shop.error(stranger, "cart.get_order", [order["order_id"]]) == {
            "code": 3003,
            "message": "Order not found",
            "data": {"order_id": order["order_id"]},
        }
        replay = await shop.error(stranger, "cart.checkout", checkout_params(cart_id, "k"))
        assert (replay["code"], replay["data"]) == (3002, {"cart_id": cart_id})
    assert await shop.result(shop.alice, "cart.checkout", checkout_params(cart_id, "k")) == order
    assert await shop.result(shop.alice, "cart.get_order", [order["order_id"]]) == order


async def test_idempotency_keys_are_each_keys_own(shop: Shop) -> None:
    mine = await shop.result(
        shop.alice, "cart.checkout", checkout_params(await shop.cart(shop.alice), "k")
    )
    theirs = await shop.result(
        shop.bob, "cart.checkout", checkout_params(await shop.cart(shop.bob), "k")
    )
    assert theirs["order_id"] != mine["order_id"]


async def test_an_anonymous_cart_is_anyones_who_holds_its_id(shop: Shop) -> None:
    cart_id = await shop.cart(shop.anonymous)
    for count, who in enumerate((shop.alice, shop.bob, shop.admin, shop.anonymous), start=3):
        cart = await shop.result(who, "cart.add_item", [cart_id, "book", 1])
        assert cart["item_count"] == count
    order = await shop.result(shop.bob, "cart.checkout", checkout_params(cart_id, "k"))
    for who in (shop.alice, shop.anonymous):
        assert await shop.result(who, "cart.get_order", [order["order_id"]]) == order


async def test_the_admin_token_reads_and_changes_any_cart_and_reads_its_order(
    shop: Shop,
) -> None:
    cart_id = await shop.cart(shop.alice)
    assert (await shop.result(shop.admin, "cart.get", [cart_id]))["item_count"] == 2
    assert (await shop.result(shop.admin, "cart.add_item", [cart_id, "pen", 1]))["item_count"] == 3
    order = await shop.result(shop.alice, "cart.checkout", checkout_params(cart_id, "k"))
    assert await shop.result(shop.admin, "cart.get_order", [order["order_id"]]) == order
    # The admin's own carts are the admin's: a key, or no key, finds none of them.
    mine = await shop.cart(shop.admin)
    for stranger in (shop.alice, shop.anonymous):
        assert (await shop.error(stranger, "cart.get", [mine]))["code"] == 3002
