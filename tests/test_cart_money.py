"""Money is exact: whole cents in, strings with two decimals out, and never a rounding."""

from __future__ import annotations

from decimal import Decimal, Inexact

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.shop.money import MAX_PRICE, ZERO, parse_price, to_wire

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
