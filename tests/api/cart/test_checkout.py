"""cart.checkout, cart.get_order and cart.restock over /rpc: all or nothing, exactly once."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.cart.payment import Processor
from app.clock import ManualClock
from tests.helpers.cart import (
    CARD,
    DECLINED,
    NO_FUNDS,
    card,
    charges,
    checkout_params,
    new_cart,
    nothing_bought,
    shop_client,
    stock_of,
)
from tests.helpers.keys import new_key
from tests.helpers.rpc import Client, MakeClient, error, post, result


async def test_checkout_makes_a_paid_order_and_takes_the_stock(
    client: Client, processors: list[Processor]
) -> None:
    cart_id = await new_cart(client, ("book", 2), ("coffee", 1))
    before = {p: await stock_of(client, p) for p in ("book", "coffee")}
    order = await result(client, "cart.checkout", checkout_params(cart_id, "key-1"))
    assert order["status"] == "paid"
    assert order["cart_id"] == cart_id
    assert [
        (line["product_id"], line["quantity"], line["subtotal"]) for line in order["lines"]
    ] == [
        ("book", 2, "79.98"),
        ("coffee", 1, "24.50"),
    ]
    assert (order["total"], order["currency"], order["item_count"]) == ("104.48", "USD", 3)
    assert order["payment"]["brand"] == "visa"
    assert order["payment"]["last4"] == "4242"
    assert await stock_of(client, "book") == before["book"] - 2
    assert await stock_of(client, "coffee") == before["coffee"] - 1
    assert await result(client, "cart.get_order", [order["order_id"]]) == order
    cart = await result(client, "cart.get", [cart_id])
    assert (cart["status"], cart["order_id"]) == ("checked_out", order["order_id"])
    [charge] = charges(processors)
    assert (charge.amount, charge.receipt.charge_id) == (
        Decimal("104.48"),
        order["payment"]["charge_id"],
    )
    assert CARD["card_number"] not in json.dumps(order)


async def test_the_order_time_is_the_store_clock(make_client: MakeClient) -> None:
    clock = ManualClock()
    client = await make_client(clock=clock)
    cart_id = await new_cart(client, ("tea", 1))
    clock.advance(90)
    order = await result(client, "cart.checkout", checkout_params(cart_id, "k"))
    assert order["created_at"] == "2027-01-15T08:01:30Z"


async def test_any_short_line_fails_the_whole_checkout_and_lists_every_one(
    make_client: MakeClient, tmp_path: Path, processors: list[Processor]
) -> None:
    stock = {"a": ("1.00", 5), "b": ("2.00", 5), "c": ("3.00", 5)}
    client = await shop_client(make_client, tmp_path, stock)
    mine = await new_cart(client, ("a", 3), ("b", 4), ("c", 5))
    rival = await new_cart(client, ("a", 4), ("c", 1))
    rivals = await result(client, "cart.checkout", checkout_params(rival, "rival"))
    err = await error(client, "cart.checkout", checkout_params(mine, "mine"))
    assert err == {
        "code": 3004,
        "message": "Out of stock",
        "data": {
            "lines": [
                {"product_id": "a", "requested": 3, "available": 1},
                {"product_id": "c", "requested": 5, "available": 4},
            ]
        },
    }
    assert [await stock_of(client, p) for p in "abc"] == [1, 5, 4]
    assert len(charges(processors)) == 1  # the rival's
    assert await nothing_bought(client, mine)
    await result(client, "cart.set_quantity", [mine, "a", 1])
    await result(client, "cart.set_quantity", [mine, "c", 4])
    order = await result(client, "cart.checkout", checkout_params(mine, "mine"))
    assert order["total"] == "21.00"
    assert order["payment"]["charge_id"] != rivals["payment"]["charge_id"]
    assert [await stock_of(client, p) for p in "abc"] == [0, 1, 0]


@pytest.mark.parametrize(
    ("payment", "decline_code", "last4"),
    [
        (DECLINED, "card_declined", "0002"),
        (NO_FUNDS, "insufficient_funds", "9995"),
        (card("4000000000000069"), "expired_card", "0069"),
        (card("4000000000000127"), "incorrect_cvc", "0127"),
        (card("4242424242424242", exp_year=2026, exp_month=12), "expired_card", "4242"),
        (card("4111111111111111"), "test_mode_live_card", "1111"),
    ],
)
async def test_a_declined_card_changes_nothing(
    make_client: MakeClient,
    payment: dict[str, Any],
    decline_code: str,
    last4: str,
    processors: list[Processor],
) -> None:
    client = await make_client(clock=ManualClock())  # January 2027
    cart_id = await new_cart(client, ("keyboard", 2))
    before = await stock_of(client, "keyboard")
    err = await error(client, "cart.checkout", checkout_params(cart_id, "k", payment))
    assert err["code"] == 3008
    assert err["message"] == "Payment declined"
    assert err["data"] == {
        "decline_code": decline_code,
        "brand": "visa",
        "last4": last4,
    }
    assert payment["card_number"] not in json.dumps(err)
    assert await stock_of(client, "keyboard") == before
    assert await nothing_bought(client, cart_id)
    assert charges(processors) == []
    # The key made no order, so the shopper may retry with another card and the same key.
    order = await result(client, "cart.checkout", checkout_params(cart_id, "k"))
    assert await stock_of(client, "keyboard") == before - 2
    assert order["payment"]["last4"] == "4242"


@pytest.mark.parametrize(
    "number", ["5555555555554444", "5555-5555-5555-4444", "378282246310005", "4242 4242 4242 4242"]
)
async def test_every_test_card_that_should_pay_does(client: Client, number: str) -> None:
    cart_id = await new_cart(client, ("pen", 1))
    order = await result(client, "cart.checkout", checkout_params(cart_id, "k", card(number)))
    assert order["payment"]["last4"] == number[-4:]


@pytest.mark.parametrize(
    ("payment", "paths"),
    [
        (card("4242424242424241"), ["payment.card_number"]),  # check digit wrong
        (card("4242 4242"), ["payment.card_number"]),
        (card("4242424242424242x"), ["payment.card_number"]),
        ({**CARD, "card_number": 4242424242424242}, ["payment.card_number"]),
        ({**CARD, "cvc": "12"}, ["payment.cvc"]),
        ({**CARD, "cvc": 123}, ["payment.cvc"]),
        ({**CARD, "exp_month": 13}, ["payment.exp_month"]),
        ({**CARD, "exp_year": "2030"}, ["payment.exp_year"]),
        (
            {"card_number": "4242424242424242"},
            ["payment.exp_month", "payment.exp_year", "payment.cvc"],
        ),
        ({**CARD, "number": "4242424242424242"}, ["payment.number"]),
        ("4242424242424242", ["payment"]),
        (None, ["payment"]),
    ],
)
async def test_bad_payment_details_are_invalid_params_without_card_data(
    client: Client, payment: Any, paths: list[str], processors: list[Processor]
) -> None:
    cart_id = await new_cart(client, ("pen", 1))
    params = {"cart_id": cart_id, "payment": payment, "idempotency_key": "k"}
    err = await error(client, "cart.checkout", params)
    assert err["code"] == -32602
    assert [problem["path"] for problem in err["data"]] == paths
    text = json.dumps(err)
    assert "4242424242424242" not in text
    assert "42424242" not in text
    for problem in err["data"]:
        if problem["path"] in ("payment.card_number", "payment.cvc", "payment.number", "payment"):
            assert problem.get("value", "[redacted]") == "[redacted]"
    assert await nothing_bought(client, cart_id)
    assert charges(processors) == []


@pytest.mark.parametrize(
    ("params", "paths"),
    [
        (lambda cart_id: [CARD, cart_id, "k"], ["cart_id"]),  # params out of order
        (lambda cart_id: [cart_id, "k", CARD], ["idempotency_key"]),
        (lambda cart_id: [cart_id, CARD, "k", CARD], ["3"]),
        (
            lambda cart_id: {"cart_id": cart_id, "card": CARD, "idempotency_key": "k"},
            ["payment", "card"],
        ),
        (lambda cart_id: {**checkout_params(cart_id, "k"), **CARD}, list(CARD)),
        (lambda cart_id: {**checkout_params(cart_id, "k"), "cart_id": CARD}, ["cart_id"]),
    ],
    ids=["swapped", "last", "extra", "misnamed", "flattened", "as-cart-id"],
)
async def test_card_data_in_the_wrong_place_is_not_echoed_either(
    client: Client, params: Any, paths: list[str], processors: list[Processor]
) -> None:
    cart_id = await new_cart(client, ("pen", 1))
    err = await error(client, "cart.checkout", params(cart_id))
    assert err["code"] == -32602
    assert [problem["path"] for problem in err["data"]] == paths
    assert all(problem.get("value", "[redacted]") == "[redacted]" for problem in err["data"])
    text = json.dumps(err)
    assert CARD["card_number"] not in text and CARD["cvc"] not in text
    assert await nothing_bought(client, cart_id)
    assert charges(processors) == []


async def test_an_empty_cart_cannot_be_checked_out(client: Client) -> None:
    cart_id = await new_cart(client)
    err = await error(client, "cart.checkout", checkout_params(cart_id, "k"))
    assert err == {"code": 3006, "message": "Cart is empty", "data": {"cart_id": cart_id}}


async def test_the_same_key_and_cart_return_the_same_order_and_charge_once(
    client: Client,
    processors: list[Processor],
) -> None:
    cart_id = await new_cart(client, ("mouse", 1))
    first = await result(client, "cart.checkout", checkout_params(cart_id, "retry-me"))
    again = await result(client, "cart.checkout", checkout_params(cart_id, "retry-me"))
    other_card = await result(
        client, "cart.checkout", checkout_params(cart_id, "retry-me", DECLINED)
    )
    assert first == again == other_card
    assert len(charges(processors)) == 1
    assert await stock_of(client, "mouse") == 29


async def test_the_same_key_for_another_cart_is_a_conflict(
    client: Client, processors: list[Processor]
) -> None:
    first = await new_cart(client, ("mouse", 1))
    second = await new_cart(client, ("mouse", 1))
    await result(client, "cart.checkout", checkout_params(first, "shared"))
    err = await error(client, "cart.checkout", checkout_params(second, "shared"))
    assert err == {
        "code": 3009,
        "message": "Idempotency key already used for another cart",
        "data": {"idempotency_key": "shared"},
    }
    assert first not in json.dumps(err)  # another shopper's cart id is their credential
    assert await nothing_bought(client, second)
    assert len(charges(processors)) == 1


@pytest.mark.parametrize("key", ["", "k" * 256, 7, None])
async def test_idempotency_keys_are_1_to_255_characters(client: Client, key: Any) -> None:
    cart_id = await new_cart(client, ("pen", 1))
    err = await error(client, "cart.checkout", checkout_params(cart_id, key))
    assert [p["path"] for p in err["data"]] == ["idempotency_key"]


async def test_unknown_orders_are_not_found(client: Client) -> None:
    err = await error(client, "cart.get_order", ["nope"])
    assert err == {"code": 3003, "message": "Order not found", "data": {"order_id": "nope"}}


TOKEN = "s3cr3t"


async def admin(client: Client, params: Any, token: str | None = TOKEN) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = {"jsonrpc": "2.0", "method": "cart.restock", "params": params, "id": 1}
    status, body = await post(client, request, **headers)
    assert status == 200
    response: dict[str, Any] = body
    return response


async def test_restock_is_for_admins(make_client: MakeClient, tmp_path: Path) -> None:
    shopper = new_key(tmp_path / "keys.jsonl", "shopper", "cart")
    keyed = await make_client(keys_file=str(tmp_path / "keys.jsonl"))
    refused = (await admin(keyed, ["vinyl", 5], token=shopper))["error"]
    assert (refused["code"], refused["data"]["required_scope"]) == (-32002, "cart:admin")
    client = await make_client(admin_token="s3cr3t", auth_failure_delay_s=0)
    assert (await admin(client, ["vinyl", 5], token=None))["error"]["code"] == -32001
    assert (await admin(client, ["vinyl", 5], token="wrong"))["error"]["code"] == -32001
    assert await stock_of(client, "vinyl") == 0
    restocked = await admin(client, ["vinyl", 5])
    assert restocked["result"]["stock"] == 5
    assert await stock_of(client, "vinyl") == 5
    await new_cart(client, ("vinyl", 5))


async def test_restock_checks_its_params(make_client: MakeClient, tmp_path: Path) -> None:
    stock = {"book": ("5.00", 999_999_990)}
    client = await shop_client(make_client, tmp_path, stock, admin_token="s3cr3t")
    assert (await admin(client, ["unicorn", 5]))["error"]["code"] == 3001
    for quantity in (0, -3, 1_000_001, "5"):
        assert (await admin(client, ["book", quantity]))["error"]["code"] == -32602
    assert (await admin(client, ["book", 10]))["result"]["stock"] == 1_000_000_000
    reply = await admin(client, ["book", 1])
    assert reply["error"]["code"] == -32602
    assert reply["error"]["data"][0]["problem"] == "Stock would exceed 1000000000"
    assert await stock_of(client, "book") == 1_000_000_000
