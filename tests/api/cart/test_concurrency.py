"""Stock under concurrent checkouts over /rpc: never oversold, no sale lost or doubled."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.cart.payment import Processor
from tests.helpers.cart import charges, checkout_params, shop_client, stock_of
from tests.helpers.rpc import Client, MakeClient, call, post

STOCK = 50
BUYERS = 200


def request(method: str, params: Any, id: int) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": method, "params": params, "id": id}


async def batch(client: Client, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    status, body = await post(client, requests)
    assert status == 200
    assert [reply["id"] for reply in body] == [r["id"] for r in requests]
    replies: list[dict[str, Any]] = body
    return replies


async def carts_holding_one(client: Client, product_id: str, count: int) -> list[str]:
    """``count`` carts, each holding one unit, made in batches of 100."""
    cart_ids: list[str] = []
    for start in range(0, count, 100):
        size = min(100, count - start)
        made = await batch(client, [request("cart.create", [], i) for i in range(size)])
        ids = [reply["result"]["cart_id"] for reply in made]
        adds = [
            request("cart.add_item", [cart_id, product_id, 1], i) for i, cart_id in enumerate(ids)
        ]
        assert all("result" in reply for reply in await batch(client, adds))
        cart_ids.extend(ids)
    return cart_ids


async def test_200_buyers_for_50_units_sell_exactly_50(
    make_client: MakeClient, tmp_path: Path, processors: list[Processor]
) -> None:
    client = await shop_client(make_client, tmp_path, {"gadget": ("19.99", STOCK)})
    cart_ids = await carts_holding_one(client, "gadget", BUYERS)
    checkouts = [
        request("cart.checkout", checkout_params(cart_id, f"key-{i}"), i)
        for i, cart_id in enumerate(cart_ids)
    ]
    random.Random(4).shuffle(checkouts)
    # Half go alone, each in its own HTTP request; half in batches of 20. All at once.
    alone, batched = checkouts[:100], checkouts[100:]
    jobs = [call(client, r["method"], r["params"], r["id"]) for r in alone]
    replies: list[dict[str, Any]] = []
    for start in range(0, len(batched), 20):
        jobs.append(batch(client, batched[start : start + 20]))
    for outcome in await asyncio.gather(*jobs):
        replies.extend(outcome if isinstance(outcome, list) else [outcome])

    assert len(replies) == BUYERS
    assert sorted(reply["id"] for reply in replies) == list(range(BUYERS))
    orders = [reply["result"] for reply in replies if "result" in reply]
    refusals = [reply["error"] for reply in replies if "error" in reply]
    assert len(orders) == STOCK
    assert len(refusals) == BUYERS - STOCK
    assert Counter(err["code"] for err in refusals) == {3004: BUYERS - STOCK}
    assert all(
        err["data"] == {"lines": [{"product_id": "gadget", "requested": 1, "available": 0}]}
        for err in refusals
    )
    assert len({order["order_id"] for order in orders}) == STOCK
    assert await stock_of(client, "gadget") == 0

    # Every unit sold is in exactly one order, and each order was charged once, for its total.
    assert sum(line["quantity"] for order in orders for line in order["lines"]) == STOCK
    assert len({order["payment"]["charge_id"] for order in orders}) == STOCK
    assert sum(Decimal(order["total"]) for order in orders) == Decimal("19.99") * STOCK
    charged = charges(processors)  # and the processor took exactly that, no more
    assert len(charged) == STOCK
    assert sum(charge.amount for charge in charged) == Decimal("19.99") * STOCK
    for order in orders:
        assert (await call(client, "cart.get_order", [order["order_id"]]))["result"] == order
        cart = (await call(client, "cart.get", [order["cart_id"]]))["result"]
        assert cart["order_id"] == order["order_id"]


async def test_concurrent_retries_of_one_checkout_charge_once(
    make_client: MakeClient, tmp_path: Path, processors: list[Processor]
) -> None:
    client = await shop_client(make_client, tmp_path, {"gadget": ("5.00", 3)})
    [cart_id] = await carts_holding_one(client, "gadget", 1)
    params = checkout_params(cart_id, "the-one-key")
    singles = [call(client, "cart.checkout", params, i) for i in range(20)]
    batched = batch(client, [request("cart.checkout", params, 100 + i) for i in range(20)])
    outcomes = await asyncio.gather(*singles, batched)
    replies = [*outcomes[:-1], *outcomes[-1]]
    assert {reply["result"]["order_id"] for reply in replies} == {replies[0]["result"]["order_id"]}
    assert len({reply["result"]["payment"]["charge_id"] for reply in replies}) == 1
    assert len(charges(processors)) == 1
    assert await stock_of(client, "gadget") == 2
