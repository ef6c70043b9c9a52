"""The rate limiter's Protocol: the engine charges every call of a request to its caller."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from app.limits.models import Charge


@runtime_checkable
class RateLimitStore(Protocol):
    @property
    def rate(self) -> float:
        """Calls per second each caller may sustain; 0 means no limit."""
        ...

    @property
    def burst(self) -> int:
        """Calls a caller may make at once after a pause."""
        ...

    async def retry_after(self, key: str) -> float:
        """Seconds until the caller ``key`` may make one call; 0 if it may now.

        Checked before a request is even parsed, so a caller past its limit costs little.
        """
        ...

    async def charge(self, key: str, costs: Sequence[int]) -> Charge:
        """Charge one request's calls, in order, to the caller ``key``, all at once.

        Each call costs its method's units; the first that does not fit, and every call
        after it, is refused and not charged.
        """
        ...


@runtime_checkable
class ImmediateRateLimitStore(RateLimitStore, Protocol):
    """A limiter in process, which never waits: the engine charges it without an `await`
    (each coroutine layer on the per-request path costs about as much as the GCRA step)."""

    def charge_now(self, key: str, costs: Sequence[int]) -> Charge:
        """`charge`, answered at once."""
        ...
