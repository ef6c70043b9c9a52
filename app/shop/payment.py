"""Payment: a card processor in test mode, playing the part of a real one.

Like a real processor's test mode, it approves only its test cards and declines the rest,
with the decline codes a real processor gives (the table in README, after Stripe's):

    4242 4242 4242 4242   approved (Visa)          4000 0000 0000 0002   card_declined
    5555 5555 5555 4444   approved (Mastercard)    4000 0000 0000 9995   insufficient_funds
    3782 822463 10005     approved (Amex)          4000 0000 0000 0069   expired_card
                                                   4000 0000 0000 0127   incorrect_cvc

Any future expiry date and any CVC will do; a past expiry date is ``expired_card``, and any
other valid number is ``test_mode_live_card``. Charges are idempotent by key: the same key
never charges twice.

Card numbers are never stored, logged or sent back: a charge keeps only the brand and the
last four digits, and a malformed card number is reported without its value.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError, WithJsonSchema

from app.clock import Clock
from app.rpc.errors import DomainError, InvalidParams

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
_ECHOED = frozenset({"exp_month", "exp_year"})
"""The only payment fields whose bad values are echoed back; the rest may hold card data."""
_REDACTED = "[redacted]"


class PaymentDeclined(DomainError):
    code = 3008
    message = "Payment declined"


class PaymentDetails(BaseModel):
    """A card, as a client sends it."""

    model_config = ConfigDict(extra="forbid", strict=True, title="Payment")

    card_number: Annotated[
        str,
        Field(
            min_length=12,
            max_length=23,
            pattern=r"^[0-9][0-9 -]+[0-9]$",
            description="12 to 19 digits, spaces or dashes allowed. Test card: 4242424242424242.",
        ),
    ]
    exp_month: Annotated[int, Field(ge=1, le=12, description="Expiry month, 1 to 12.")]
    exp_year: Annotated[int, Field(ge=2000, le=2099, description="Expiry year, four digits.")]
    cvc: Annotated[str, Field(pattern=r"^[0-9]{3,4}$", description="3 or 4 digits.")]


@dataclass(frozen=True, slots=True, repr=False)
class Card:
    """A validated card. Its number lives only as long as the call that carries it."""

    number: str
    exp_month: int
    exp_year: int
    cvc: str

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def brand(self) -> str:
        return _brand(self.number)

    def __repr__(self) -> str:
        return f"Card({self.brand} ending {self.last4})"


class RawPayment:
    """The ``payment`` param as received, checked by ``card()`` rather than by the binder.

    Checked here, a bad card number or CVC is reported as ``[redacted]`` while a bad expiry
    date is shown as sent. (``cart.checkout`` also declares ``redact_values``, so the binder
    echoes nothing either: card data sent in the wrong param stays out of ``data`` too.)
    """

    __slots__ = ("_value",)

    def __init__(self, value: Any) -> None:
        self._value = value

    def __repr__(self) -> str:
        return f"RawPayment({_REDACTED})"

    def card(self) -> Card:
        """The card, or ``InvalidParams`` listing each problem with sensitive values redacted."""
        try:
            details = PaymentDetails.model_validate(self._value)
        except ValidationError as exc:
            raise InvalidParams(data=[_problem(error) for error in exc.errors()]) from None
        number = details.card_number.replace(" ", "").replace("-", "")
        if not 12 <= len(number) <= 19 or not _luhn_valid(number):
            raise InvalidParams(
                data=[
                    {
                        "path": "payment.card_number",
                        "problem": "Not a valid card number: wrong length or check digit",
                        "type": "card_number",
                        "value": _REDACTED,
                    }
                ]
            )
        return Card(number, details.exp_month, details.exp_year, details.cvc)


Payment = Annotated[
    RawPayment,
    PlainValidator(RawPayment),
    WithJsonSchema(PaymentDetails.model_json_schema()),
]
"""The ``payment`` param type: described as ``PaymentDetails``, validated by ``card()``."""


class PaymentSummary(BaseModel):
    """How an order was paid, as much of the card as may be shown."""

    charge_id: str
    brand: str
    last4: str


@dataclass(frozen=True, slots=True)
class Charge:
    charge_id: str
    amount: Decimal
    currency: str
    brand: str
    last4: str
    idempotency_key: str
    created_at: float

    def summary(self) -> PaymentSummary:
        return PaymentSummary(charge_id=self.charge_id, brand=self.brand, last4=self.last4)


class Processor:
    """The test-mode processor: approves or declines, and keeps every charge it made."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.charges: dict[str, Charge] = {}
        """Every charge made, by charge id."""
        self._by_key: dict[str, Charge] = {}

    def charge(self, card: Card, amount: Decimal, currency: str, idempotency_key: str) -> Charge:
        """Charge ``card``; a key seen before returns its charge instead of charging again.

        Raise ``PaymentDeclined`` (nothing charged) with the decline code and the card's
        brand and last four digits.
        """
        previous = self._by_key.get(idempotency_key)
        if previous is not None:
            return previous
        if amount <= 0:
            raise ValueError("charge a positive amount")
        decline = self._decline(card)
        if decline is not None:
            raise PaymentDeclined(
                data={"decline_code": decline, "brand": card.brand, "last4": card.last4}
            )
        charge = Charge(
            charge_id="ch_" + secrets.token_urlsafe(12),
            amount=amount,
            currency=currency,
            brand=card.brand,
            last4=card.last4,
            idempotency_key=idempotency_key,
            created_at=self._clock.time(),
        )
        self.charges[charge.charge_id] = charge
        self._by_key[idempotency_key] = charge
        return charge

    def _decline(self, card: Card) -> str | None:
        now = datetime.fromtimestamp(self._clock.time(), UTC)
        if (card.exp_year, card.exp_month) < (now.year, now.month):
            return "expired_card"
        return TEST_CARDS.get(card.number, "test_mode_live_card")


def _problem(error: Any) -> dict[str, Any]:
    loc = error["loc"]
    entry: dict[str, Any] = {
        "path": ".".join(["payment", *(str(part) for part in loc)]),
        "problem": error["msg"],
        "type": error["type"],
    }
    if error["type"] != "missing":
        entry["value"] = error["input"] if loc and loc[0] in _ECHOED else _REDACTED
    return entry


def _luhn_valid(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"34", "37"}:
        return "amex"
    if "51" <= number[:2] <= "55" or "2221" <= number[:4] <= "2720":
        return "mastercard"
    if number.startswith(("6011", "65")):
        return "discover"
    return "unknown"
