"""The test-mode card processor: one charge per key, for the amount asked, and none declined."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.cart.errors import InvalidCard, PaymentDeclined
from app.cart.models import Card, RawPayment
from app.cart.payment import Processor
from app.clock import ManualClock  # January 2027


def card(number: str, exp_year: int = 2030) -> Card:
    details = {"card_number": number, "exp_month": 12, "exp_year": exp_year, "cvc": "123"}
    return RawPayment(details).card()


def test_a_key_is_charged_once_for_the_amount_asked() -> None:
    processor = Processor(ManualClock())
    first = processor.charge(card("4242424242424242"), Decimal("10.50"), "USD", "k")
    again = processor.charge(card("4000000000000002"), Decimal("99.00"), "USD", "k")
    assert again is first
    assert (first.amount, first.currency, first.receipt.brand, first.receipt.last4) == (
        Decimal("10.50"),
        "USD",
        "visa",
        "4242",
    )
    other = processor.charge(card("5555555555554444"), Decimal("1.00"), "USD", "other")
    assert other.receipt.charge_id != first.receipt.charge_id
    assert list(processor.charges) == ["k", "other"]


@pytest.mark.parametrize(
    ("payment", "decline_code"),
    [
        (card("4000000000000002"), "card_declined"),
        (card("4000000000009995"), "insufficient_funds"),
        (card("4242424242424242", exp_year=2026), "expired_card"),
        (card("4111111111111111"), "test_mode_live_card"),
    ],
)
def test_a_declined_card_is_not_charged(payment: Card, decline_code: str) -> None:
    processor = Processor(ManualClock())
    with pytest.raises(PaymentDeclined) as caught:
        processor.charge(payment, Decimal("1.00"), "USD", "k")
    assert caught.value.data["decline_code"] == decline_code
    assert processor.charges == {}


def test_card_problems_say_where_without_the_card_data() -> None:
    with pytest.raises(InvalidCard) as caught:
        RawPayment({"card_number": "4242424242424241", "exp_month": 13}).card()
    assert [(p["at"], p.get("value")) for p in caught.value.problems] == [
        (("exp_month",), 13),
        (("exp_year",), None),
        (("cvc",), None),
    ]
    with pytest.raises(InvalidCard) as caught:
        card("4242424242424241")
    assert caught.value.problems[0]["at"] == ("card_number",)
    assert caught.value.problems[0]["value"] == "[redacted]"
    assert "4242424242424241" not in repr(caught.value.problems)
