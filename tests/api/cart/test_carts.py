"""Carts over /rpc: ids, lines and totals, stock checks, validation, limits and expiry."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from app import settings
from app.clock import ManualClock
from tests.helpers.cart import CARD, checkout_params, new_cart, shop_client
from tests.helpers.rpc import Client, MakeClient, error, post, result


async def test_a_new_cart_is_empty_with_an_unguessable_id(client: Client) -> None:
    cart = await result(client, "cart.create")
    assert cart["lines"] == []
    assert (cart["total"], cart["item_count"], cart["status"]) == ("0.00", 0, "open")
    assert cart["order_id"] is None
    raw = base64.urlsafe_b64decode(cart["cart_id"] + "==")
    assert len(raw) * 8 >= 128
    ids = {(await result(client, "cart.create"))["cart_id"] for _ in range(50)}
    assert len(ids) == 50


async def test_lines_subtotals_and_total_are_exact(client: Client) -> None:
    cart_id = await new_cart(client, ("book", 2), ("coffee", 3), ("pen", 1))
    cart = await result(client, "cart.get", [cart_id])
    assert [(line["product_id"], line["quantity"], line["subtotal"]) for line in cart["lines"]] == [
        ("book", 2, "79.98"),
        ("coffee", 3, "73.50"),
        ("pen", 1, "6.49"),
    ]
    assert cart["lines"][0]["unit_price"] == "39.99"
    assert cart["total"] == "159.97"
    assert cart["item_count"] == 6


async def test_adding_again_adds_to_the_line(client: Client) -> None:
    cart_id = await new_cart(client, ("coffee", 1))
    cart = await result(client, "cart.add_item", {"cart_id": cart_id, "product_id": "coffee"})
    assert [(line["product_id"], line["quantity"]) for line in cart["lines"]] == [("coffee", 2)]


async def test_set_quantity_sets_and_zero_removes(client: Client) -> None:
    cart_id = await new_cart(client, ("book", 1), ("mouse", 1))
    cart = await result(client, "cart.set_quantity", [cart_id, "book", 5])
    assert [(line["product_id"], line["quantity"]) for line in cart["lines"]] == [
        ("book", 5),
        ("mouse", 1),
    ]
    cart = await result(client, "cart.set_quantity", [cart_id, "book", 0])
    assert [line["product_id"] for line in cart["lines"]] == ["mouse"]
    cart = await result(client, "cart.set_quantity", [cart_id, "tea", 2])
    assert [line["product_id"] for line in cart["lines"]] == ["mouse", "tea"]
    assert cart["total"] == "47.49"


async def test_remove_and_clear_are_safe_to_repeat(client: Client) -> None:
    cart_id = await new_cart(client, ("book", 1), ("mouse", 1))
    for _ in range(2):
        cart = await result(client, "cart.remove_item", [cart_id, "book"])
        assert [line["product_id"] for line in cart["lines"]] == ["mouse"]
    for _ in range(2):
        cart = await result(client, "cart.clear", [cart_id])
        assert (cart["lines"], cart["total"]) == ([], "0.00")


async def test_adding_more_than_is_in_stock_says_what_is_available(client: Client) -> None:
    cart_id = await new_cart(client, ("camera", 2))
    err = await error(client, "cart.add_item", [cart_id, "camera", 2])
    assert err == {
        "code": 3004,
        "message": "Out of stock",
        "data": {"lines": [{"product_id": "camera", "requested": 4, "available": 3}]},
    }
    err = await error(client, "cart.set_quantity", [cart_id, "camera", 4])
    assert err["data"]["lines"] == [{"product_id": "camera", "requested": 4, "available": 3}]
    sold_out = await error(client, "cart.add_item", [cart_id, "vinyl", 1])
    assert sold_out["data"]["lines"][0]["available"] == 0
    cart = await result(client, "cart.get", [cart_id])
    assert [(line["product_id"], line["quantity"]) for line in cart["lines"]] == [("camera", 2)]


BAD_QUANTITIES = [-1, 1001, 2**63, "2", 1.5, 2.0, True, False, None, [1], {"n": 1}]


@pytest.mark.parametrize(
    ("method", "bad"),
    [("cart.add_item", [0, *BAD_QUANTITIES]), ("cart.set_quantity", BAD_QUANTITIES)],
)
async def test_quantities_are_integers_from_1_to_1000(
    client: Client, method: str, bad: list[Any]
) -> None:
    cart_id = await new_cart(client)
    for quantity in bad:
        err = await error(client, method, [cart_id, "book", quantity])
        assert err["code"] == -32602
        assert [(p["path"], p["value"]) for p in err["data"]] == [("quantity", quantity)]
    assert (await result(client, "cart.get", [cart_id]))["lines"] == []


async def test_a_line_holds_at_most_1000(make_client: MakeClient, tmp_path: Path) -> None:
    client = await shop_client(make_client, tmp_path, {"sand": ("0.10", 5000)})
    cart_id = await new_cart(client, ("sand", 1000))
    err = await error(client, "cart.add_item", [cart_id, "sand", 1])
    assert err == {
        "code": 3007,
        "message": "Cart limit exceeded",
        "data": {"limit": "quantity_per_line", "max": 1000, "requested": 1001},
    }


async def test_a_cart_holds_at_most_cart_max_lines_products(
    make_client: MakeClient, tmp_path: Path
) -> None:
    stock = dict.fromkeys(("a", "b", "c"), ("1.00", 10))
    client = await shop_client(make_client, tmp_path, stock, cart_max_lines=2)
    cart_id = await new_cart(client, ("a", 1), ("b", 1))
    err = await error(client, "cart.add_item", [cart_id, "c", 1])
    assert err["data"] == {"limit": "lines_per_cart", "max": 2, "product_id": "c"}
    await result(client, "cart.add_item", [cart_id, "b", 1])  # an existing line may grow
    await result(client, "cart.remove_item", [cart_id, "a"])
    await result(client, "cart.add_item", [cart_id, "c", 1])


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("cart.get", ["nope"]),
        ("cart.add_item", ["nope", "book", 1]),
        ("cart.set_quantity", ["nope", "book", 1]),
        ("cart.remove_item", ["nope", "book"]),
        ("cart.clear", ["nope"]),
        ("cart.checkout", checkout_params("nope", "k")),
    ],
)
async def test_unknown_carts_are_not_found(client: Client, method: str, params: Any) -> None:
    err = await error(client, method, params)
    assert err == {"code": 3002, "message": "Cart not found", "data": {"cart_id": "nope"}}


@pytest.mark.parametrize("params", [[""], ["x" * 65], [None], [7]])
async def test_malformed_cart_ids_are_invalid_params(client: Client, params: Any) -> None:
    assert (await error(client, "cart.get", params))["code"] == -32602


async def test_unknown_products_cannot_go_in_a_cart(client: Client) -> None:
    cart_id = await new_cart(client)
    for method, params in [
        ("cart.add_item", [cart_id, "unicorn", 1]),
        ("cart.set_quantity", [cart_id, "unicorn", 1]),
        ("cart.remove_item", [cart_id, "unicorn"]),
    ]:
        err = await error(client, method, params)
        assert (err["code"], err["data"]["product_id"]) == (3001, "unicorn")


async def test_a_checked_out_cart_cannot_change(client: Client) -> None:
    cart_id = await new_cart(client, ("book", 1))
    order = await result(client, "cart.checkout", checkout_params(cart_id, "k1"))
    closed = {"cart_id": cart_id, "order_id": order["order_id"]}
    for method, params in [
        ("cart.add_item", [cart_id, "book", 1]),
        ("cart.set_quantity", [cart_id, "book", 2]),
        ("cart.remove_item", [cart_id, "book"]),
        ("cart.clear", [cart_id]),
        ("cart.checkout", checkout_params(cart_id, "another key")),
    ]:
        err = await error(client, method, params)
        assert err == {"code": 3005, "message": "Cart already checked out", "data": closed}
    cart = await result(client, "cart.get", [cart_id])
    assert (cart["status"], cart["order_id"], cart["total"]) == (
        "checked_out",
        order["order_id"],
        "39.99",
    )


async def test_idle_carts_expire(make_client: MakeClient) -> None:
    clock = ManualClock()
    client = await make_client(clock=clock, cart_ttl_s=60.0)
    kept = await new_cart(client, ("book", 1))
    idle = await new_cart(client, ("book", 1))
    cart = await result(client, "cart.get", [kept])
    assert cart["expires_at"] == "2027-01-15T08:01:00Z"
    clock.advance(59)
    await result(client, "cart.get", [kept])  # using a cart keeps it alive
    clock.advance(1)
    assert (await error(client, "cart.get", [idle]))["code"] == 3002
    assert (await result(client, "cart.get", [kept]))["lines"][0]["quantity"] == 1


@pytest.mark.parametrize(
    "environ",
    [
        {"RPC_CART_TTL_S": "inf"},
        {"RPC_CART_TTL_S": "nan"},
        {"RPC_CART_TTL_S": "0"},
        {"RPC_CART_TTL_S": "1e300"},
        {"RPC_CART_MAX_CARTS": "0"},
        {"RPC_CART_MAX_LINES": "0"},
    ],
)
def test_cart_settings_are_refused_out_of_range(environ: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="cart_"):
        settings.load(environ=environ)
    assert (
        settings.load(environ={"RPC_CART_TTL_S": "600", "RPC_CART_MAX_LINES": "5"}).cart_ttl_s
        == 600
    )


async def test_the_number_of_carts_is_bounded(make_client: MakeClient) -> None:
    clock = ManualClock()
    client = await make_client(clock=clock, cart_max_carts=3, cart_ttl_s=60.0)
    for _ in range(3):
        await new_cart(client)
    err = await error(client, "cart.create")
    assert err["code"] == -32005
    clock.advance(60)  # the old ones expire and make room
    await new_cart(client)


async def test_cart_calls_batch_like_any_other(client: Client) -> None:
    cart_id = await new_cart(client)
    status, body = await post(
        client,
        [
            {"jsonrpc": "2.0", "method": "cart.add_item", "params": [cart_id, "book", 1], "id": 1},
            {"jsonrpc": "2.0", "method": "cart.add_item", "params": [cart_id, "tea", 2], "id": 2},
            {"jsonrpc": "2.0", "method": "cart.get", "params": [cart_id], "id": 3},
        ],
    )
    assert status == 200
    assert body[2]["result"]["total"] == "57.49"
    assert CARD["card_number"] not in str(body)
