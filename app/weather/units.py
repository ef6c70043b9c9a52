"""Temperature units, converted exactly.

Conversions work on ``Fraction``s, so any chain of them is exact and every round trip returns
the value it started from. A float from a client is taken as the decimal it was written as
(``283.15`` means 283.15, not the nearest binary double), so thresholds hold exactly in every
unit: 50 °F and 283.15 K are exactly 10 °C.

On the wire, a reading is rounded once, in Celsius, to 0.1 °C (half to even). Its Fahrenheit
and Kelvin forms are then exact decimals with at most two places (0.1 °C is 0.18 °F and
0.1 K), so the same reading in any two units converts exactly into each other.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from app.weather.errors import BelowAbsoluteZero
from app.weather.models import Emoji, Units

ABSOLUTE_ZERO_C = Fraction(-27315, 100)
_KELVIN_OFFSET = Fraction(27315, 100)
_COLD_BELOW_C = 10
_MILD_BELOW_C = 20
_WIRE_STEP = Decimal("0.1")


def exact(value: int | float | Decimal | Fraction) -> Fraction:
    """``value`` as an exact fraction; a float counts as the shortest decimal that names it."""
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    return Fraction(value)


def to_celsius(value: Fraction, units: Units) -> Fraction:
    """The Celsius value of ``value`` given in ``units``."""
    if units == "F":
        return (value - 32) * Fraction(5, 9)
    if units == "K":
        return value - _KELVIN_OFFSET
    return value


def from_celsius(celsius: Fraction, units: Units) -> Fraction:
    """``celsius`` expressed in ``units``."""
    if units == "F":
        return celsius * Fraction(9, 5) + 32
    if units == "K":
        return celsius + _KELVIN_OFFSET
    return celsius


def convert(value: Fraction, source: Units, target: Units) -> Fraction:
    """``value`` in ``source`` units, expressed in ``target`` units, exactly."""
    return from_celsius(to_celsius(value, source), target)


def wire_celsius(celsius: float) -> Decimal:
    """A model or upstream reading as it is published: rounded to 0.1 °C, half to even."""
    rounded = Decimal(repr(celsius)).quantize(_WIRE_STEP, rounding=ROUND_HALF_EVEN)
    return rounded if rounded else Decimal("0.0")  # never "-0.0"


def wire(celsius: float, units: Units) -> float:
    """The published reading in ``units``: exact, with at most two decimal places."""
    value = from_celsius(Fraction(wire_celsius(celsius)), units)
    # The value is a terminating decimal (denominator divides 100), so this is exact.
    return float(Decimal(value.numerator) / Decimal(value.denominator))


def emoji(celsius: Fraction) -> Emoji:
    """🥶 below 10 °C, 😊 below 20 °C, 🥵 from 20 °C up."""
    if celsius < _COLD_BELOW_C:
        return "🥶"
    if celsius < _MILD_BELOW_C:
        return "😊"
    return "🥵"


def wire_emoji(celsius: float) -> Emoji:
    """The emoji of a reading as published, so it agrees with the number the client sees."""
    return emoji(Fraction(wire_celsius(celsius)))


def emoji_of(temperature: int | float, units: Units) -> Emoji:
    """The emoji of a client's temperature in ``units``, after exact conversion.

    Raises ``BelowAbsoluteZero`` for a temperature colder than 0 K.
    """
    celsius = to_celsius(exact(temperature), units)
    if celsius < ABSOLUTE_ZERO_C:
        minimum = from_celsius(ABSOLUTE_ZERO_C, units)
        raise BelowAbsoluteZero(
            data={"temperature": temperature, "units": units, "minimum": float(minimum)}
        )
    return emoji(celsius)
