"""Money is exact: whole cents in, strings with two decimals out, and never a rounding."""

from __future__ import annotations

import re
from decimal import Decimal, Inexact
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.cart.money import MAX_PRICE, ZERO, parse_price, to_wire
from tests.helpers.cart import checkout_params, shop_client
from tests.helpers.openrpc_schemas import result_errors
from tests.helpers.rpc import MakeClient, post, result

CENTS = st.integers(min_value=1, max_value=int(MAX_PRICE * 100))


def from_cents(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


@given(unit=CENTS, quantities=st.lists(st.integers(1, 1000), min_size=1, max_size=100))
def test_subtotals_and_totals_equal_integer_cent_arithmetic(
    unit: int, quantities: list[int]
) -> None:
    price = parse_price(from_cents(unit))
    subtotals = [price * quantity for quantity in quantities]
    for subtotal, quantity in zip(subtotals, quantities, strict=True):
        assert to_wire(subtotal) == from_cents(unit * quantity)
    assert to_wire(sum(subtotals, ZERO)) == from_cents(unit * sum(quantities))


@pytest.mark.parametrize(
    ("amount", "wire"),
    [("29.9", "29.90"), ("0", "0.00"), ("7", "7.00"), ("1000000000.00", "1000000000.00")],
)
def test_the_wire_form_has_exactly_two_decimals(amount: str, wire: str) -> None:
    assert to_wire(Decimal(amount)) == wire


def test_a_fraction_of_a_cent_is_refused_rather_than_rounded() -> None:
    with pytest.raises(Inexact):
        to_wire(Decimal("1.005"))


@pytest.mark.parametrize(
    "bad", [9.99, 10, "9.9", "9.999", "1e3", " 9.99", "-1.00", "0.00", "1000000.01", "NaN"]
)
def test_catalog_prices_are_strings_of_whole_cents(bad: object) -> None:
    with pytest.raises(ValueError, match="prices"):
        parse_price(bad)


AMOUNTS = {"price", "unit_price", "subtotal", "total"}
TWO_DECIMALS = re.compile(r"[0-9]+\.[0-9]{2}")
ADMIN_TOKEN = "money-admin"


def amounts_in(value: Any) -> list[Any]:
    """Every amount in a decoded result; fail on any float, money or not."""
    assert not isinstance(value, float), value
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in AMOUNTS:
                found.append(item)
            else:
                found += amounts_in(item)
    elif isinstance(value, list):
        for item in value:
            found += amounts_in(item)
    return found


async def test_every_cart_method_sends_amounts_as_two_decimal_strings(
    make_client: MakeClient, tmp_path: Path
) -> None:
    """Through /rpc, as the server writes its results (pydantic's own JSON writer): whole
    amounts and trailing zeros keep both decimals, and each result matches its schema."""
    stock = {"a": ("29.90", 10), "b": ("5.00", 10)}
    client = await shop_client(make_client, tmp_path, stock, admin_token=ADMIN_TOKEN)
    document = await result(client, "rpc.discover")
    methods = {m["name"]: m for m in document["methods"] if m["name"].startswith("cart.")}
    seen: dict[str, list[Any]] = {}

    async def call(method: str, params: Any) -> Any:
        request = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
        status, body = await post(client, request, Authorization=f"Bearer {ADMIN_TOKEN}")
        assert status == 200 and "result" in body, body
        assert result_errors(document, methods[method], body["result"]) == []
        seen.setdefault(method, []).extend(amounts_in(body["result"]))
        return body["result"]

    await call("cart.list_products", {})
    await call("cart.get_product", ["b"])
    await call("cart.restock", ["b", 5])
    cart_id = (await call("cart.create", []))["cart_id"]
    await call("cart.add_item", [cart_id, "b", 1])
    await call("cart.clear", [cart_id])
    await call("cart.set_quantity", [cart_id, "b", 2])
    await call("cart.remove_item", [cart_id, "b"])
    await call("cart.add_item", [cart_id, "a", 3])
    await call("cart.get", [cart_id])
    order = await call("cart.checkout", checkout_params(cart_id, "k"))
    await call("cart.get_order", [order["order_id"]])

    assert set(seen) == set(methods)  # a new cart method belongs in this walk too
    everything = [amount for found in seen.values() for amount in found]
    assert all(type(amount) is str and TWO_DECIMALS.fullmatch(amount) for amount in everything)
    assert seen["cart.get_product"] == ["5.00"]
    assert seen["cart.create"] == ["0.00"]
    assert seen["cart.set_quantity"] == ["5.00", "10.00", "10.00"]
    assert seen["cart.get_order"] == ["29.90", "89.70", "89.70"]
