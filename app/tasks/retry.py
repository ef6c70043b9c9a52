"""Retry delays: exponential backoff with jitter, so failed tasks do not retry in lockstep."""

from __future__ import annotations

import random


def backoff(failures: int, base_s: float, cap_s: float, rng: random.Random) -> float:
    """Seconds to wait before the next attempt, after ``failures`` (>= 1) charged attempts.

    "Equal jitter": half the exponential delay is kept, the other half drawn at random, so
    a retry is never immediate yet retries of a burst of failures spread out.
    """
    # The exponent is capped: 2.0 ** 1024 overflows, and the cap is reached long before.
    exponential = min(cap_s, base_s * 2.0 ** min(max(0, failures - 1), 64))
    return exponential / 2 + rng.uniform(0, exponential / 2)
