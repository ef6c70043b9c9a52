"""The engine's rate-limit meter: every call of a request is charged to its caller before
any of them runs, at its method's declared cost, and large bodies cost extra.

A request none of whose calls fits raises ``Throttled`` (HTTP answers 429 with
``Retry-After``); otherwise the calls past the allowance are answered -32003 unrun. Counting
each batch item is what keeps a batch from being a way around the limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.limits.models import Charge
from app.limits.store import ImmediateRateLimitStore, RateLimitStore
from app.rpc.errors import RateLimited

BYTES_PER_UNIT = 16 * 1024
"""A request body costs one rate-limit unit per this many bytes, on top of its calls."""
PRECHECK_BYTES = 512
"""Bodies larger than this (batches, mostly) are not even parsed for a caller already past
its limit; smaller ones cost less to parse than to check twice."""


class Throttled(Exception):
    """Not one call of a request fits its caller's rate limit: the request is refused whole."""

    def __init__(self, error: RateLimited, retry_after_s: float) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after_s = retry_after_s


class Meter:
    def __init__(self, limiter: RateLimitStore, costs: Mapping[str, int]) -> None:
        self._limiter = limiter
        self._costs: dict[Any, int] = dict(costs)
        self._now = limiter.charge_now if isinstance(limiter, ImmediateRateLimitStore) else None

    async def precheck(self, key: str, size: int) -> None:
        """Raise `Throttled` before a large body is parsed, if `key` has no allowance left
        (callers skip it for bodies of `PRECHECK_BYTES` or less)."""
        wait = await self._limiter.retry_after(key)
        if wait:
            raise Throttled(self._error(wait), wait)

    async def charge(self, key: str, docs: list[Any], size: int) -> tuple[int, RateLimited | None]:
        """Charge a request's calls (``docs``, its ``size`` bytes with the first) to ``key``.

        Return how many fit, counted from the first, and the error for the rest; raise
        ``Throttled`` if none does.
        """
        costs = self._costs
        try:
            if len(docs) == 1:  # most requests: no list comprehension (a frame of its own)
                doc = docs[0]
                units = [costs.get(doc.get("method"), 1) if type(doc) is dict else 1]
            else:
                units = [
                    costs.get(doc.get("method"), 1) if type(doc) is dict else 1 for doc in docs
                ]
        except TypeError:  # a "method" that is not even hashable: not a method
            units = [self._cost(doc) for doc in docs]
        units[0] += size // BYTES_PER_UNIT
        now = self._now
        charge: Charge = (
            now(key, units) if now is not None else await self._limiter.charge(key, units)
        )
        if charge.allowed == len(docs):
            return charge.allowed, None
        error = self._error(charge.retry_after_s)
        if not charge.allowed:
            raise Throttled(error, charge.retry_after_s)
        return charge.allowed, error

    def _error(self, retry_after_s: float) -> RateLimited:
        limiter = self._limiter
        return RateLimited(
            "Rate limited: too many calls; retry after data.retry_after_s seconds",
            data={
                "retry_after_s": round(retry_after_s, 3),
                "limit": limiter.rate,
                "burst": limiter.burst,
            },
        )

    def _cost(self, doc: Any) -> int:
        """A call's units: its method's declared cost, 1 for anything else."""
        method = doc.get("method") if type(doc) is dict else None
        return self._costs.get(method, 1) if type(method) is str else 1
