"""What a rate-limit charge came to."""

from __future__ import annotations

from typing import NamedTuple


class Charge(NamedTuple):
    """How many of a request's calls fit the caller's allowance, counted from the first.

    The calls from `allowed` on are refused; the caller may try them again after
    `retry_after_s`. (A tuple: it is made for every request, and a frozen dataclass
    costs several times as much to build.)
    """

    allowed: int
    retry_after_s: float = 0.0
