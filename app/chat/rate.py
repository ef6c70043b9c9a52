"""Each member's send rate: GCRA, a token bucket kept as one number per member.

The number is the member's theoretical arrival time (TAT): when its allowance would be whole
again. Each message moves it ``INTERVAL_S`` later and fits while it stays within
``BURST * INTERVAL_S`` of now, so a quiet member may send ``BURST`` at once, then one every
``INTERVAL_S``. lua/admit.lua does the same float operations, so both backends agree exactly.
"""

from __future__ import annotations

import math

from app.chat.errors import SendingTooFast

BURST = 5
INTERVAL_S = 1.0
SLACK = 1e-9
"""Seconds of float rounding forgiven: a burst of exactly ``BURST`` must fit."""


def charge(tat: float | None, now: float) -> float:
    """The TAT after one more message at ``now``; SendingTooFast if it does not fit."""
    horizon = now + BURST * INTERVAL_S
    # Never earlier than now, and never past the horizon (where a clock set back leaves it).
    start = now if tat is None or tat < now else min(tat, horizon)
    after = start + INTERVAL_S
    if after > horizon + SLACK:
        raise too_fast(after - horizon)
    return after


def too_fast(wait: float) -> SendingTooFast:
    """The refusal for a sender that may send again in ``wait`` seconds."""
    return SendingTooFast(data={"retry_after_s": round_up(wait)})


def round_up(seconds: float) -> float:
    """Seconds to the next millisecond up, so waiting that long is always enough."""
    # Round away float noise first (1.0000000001 s is 1 s), then up to whole milliseconds.
    return math.ceil(round(seconds * 1000, 6)) / 1000
