"""The in-process rate limiter: one GCRA table, as fast as a dict lookup, and charged without
an `await` (`ImmediateRateLimitStore`)."""

from __future__ import annotations

from collections.abc import Sequence

from app.limits.gcra import Gcra
from app.limits.models import Charge
from app.stores import Backend, StoreContext

MAX_CALLERS = 100_000
"""Callers remembered at once; past it the stalest is forgotten (its allowance is whole)."""


class MemoryRateLimitStore(Backend):
    def __init__(self, context: StoreContext) -> None:
        settings = context.settings
        self._clock = context.clock
        self.rate = settings.rate_limit
        self.burst = settings.rate_burst
        self._gcra = Gcra(self.rate, self.burst, MAX_CALLERS) if self.rate else None

    async def retry_after(self, key: str) -> float:
        if self._gcra is None:
            return 0.0
        return self._gcra.retry_after(key, self._clock.time())

    async def charge(self, key: str, costs: Sequence[int]) -> Charge:
        return self.charge_now(key, costs)

    def charge_now(self, key: str, costs: Sequence[int]) -> Charge:
        if self._gcra is None:
            return Charge(len(costs))
        return self._gcra.charge(key, costs, self._clock.time())
