"""Payment: a card processor in test mode, playing the part of a real one.

Like a real processor's test mode, it approves only its test cards and declines the rest,
with the decline codes a real processor gives (the table in docs/cart.md, after Stripe's):

    4242 4242 4242 4242   approved (Visa)          4000 0000 0000 0002   card_declined
    5555 5555 5555 4444   approved (Mastercard)    4000 0000 0000 9995   insufficient_funds
    3782 822463 10005     approved (Amex)          4000 0000 0000 0069   expired_card
                                                   4000 0000 0000 0127   incorrect_cvc

Any future expiry date and any CVC will do; a past expiry date is ``expired_card``, and any
other valid number is ``test_mode_live_card``. Charges are idempotent by key: the same key
never charges twice.

Card numbers are never stored, logged or sent back: a charge keeps only the brand and the
last four digits (a malformed card number is refused by ``RawPayment.card`` without its value).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from app.cart.errors import PaymentDeclined
from app.cart.models import Card, PaymentSummary
from app.clock import Clock

TEST_CARDS = {
    "4242424242424242": None,
    "5555555555554444": None,
    "378282246310005": None,
    "4000000000000002": "card_declined",
    "4000000000009995": "insufficient_funds",
    "4000000000000069": "expired_card",
    "4000000000000127": "incorrect_cvc",
}
"""The test cards, each with the decline it always gets (None: approved)."""


@dataclass(frozen=True, slots=True)
class Charge:
    """Money taken from a card: the receipt an order shows, and what the processor keeps."""

    receipt: PaymentSummary
    amount: Decimal
    currency: str
    idempotency_key: str
    created_at: float


class Processor:
    """The test-mode processor: approves or declines, and keeps every charge it made."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.charges: dict[str, Charge] = {}
        """Every charge made, by idempotency key."""

    def charge(self, card: Card, amount: Decimal, currency: str, idempotency_key: str) -> Charge:
        """Charge ``card``; a key seen before returns its charge instead of charging again.

        Raise ``PaymentDeclined`` (nothing charged) with the decline code and the card's
        brand and last four digits.
        """
        previous = self.charges.get(idempotency_key)
        if previous is not None:
            return previous
        if amount <= 0:
            raise ValueError("charge a positive amount")
        receipt = self.authorize(card)
        charge = Charge(receipt, amount, currency, idempotency_key, self._clock.time())
        self.charges[idempotency_key] = charge
        return charge

    def authorize(self, card: Card) -> PaymentSummary:
        """The receipt a charge of ``card`` gets now, keeping nothing; ``PaymentDeclined`` if not.

        The decision depends on the card and the date alone, so a store that commits the
        charge in one step with its order (Redis) may make it before that step.
        """
        decline = self._decline(card)
        if decline is not None:
            raise PaymentDeclined(
                data={"decline_code": decline, "brand": card.brand, "last4": card.last4}
            )
        return PaymentSummary(
            charge_id="ch_" + secrets.token_urlsafe(12), brand=card.brand, last4=card.last4
        )

    def _decline(self, card: Card) -> str | None:
        now = datetime.fromtimestamp(self._clock.time(), UTC)
        if (card.exp_year, card.exp_month) < (now.year, now.month):
            return "expired_card"
        return TEST_CARDS.get(card.number, "test_mode_live_card")
