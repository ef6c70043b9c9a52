"""GCRA (the generic cell rate algorithm): a token bucket kept as one number per caller.

A caller's number is its theoretical arrival time (TAT): when its allowance would be whole
again. A call costing ``c`` units moves it ``c * interval`` later, and fits while the TAT
stays within ``burst * interval`` of now. Nothing refills on a timer, so an idle caller
costs nothing, and the table is bounded: when it is full, callers whose allowance is whole
again are forgotten (they lose nothing by it).
"""

from __future__ import annotations

from collections.abc import Sequence

from app.limits.models import Charge

_ALL_OF = tuple(Charge(n) for n in range(1025))
"""The charges that refuse nothing, made once: building a tuple costs more than the GCRA."""
SLACK = 1e-9
"""Seconds of float rounding forgiven: a burst of exactly ``burst`` calls must fit."""


class Gcra:
    def __init__(self, rate: float, burst: int, max_keys: int) -> None:
        if rate <= 0 or burst < 1 or max_keys < 1:
            raise ValueError("GCRA needs a positive rate, burst and table size")
        self.rate = rate
        self.burst = burst
        self._interval = 1.0 / rate
        self._tolerance = burst * self._interval
        self._max_keys = max_keys
        self._tat: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._tat)

    def retry_after(self, key: str, now: float) -> float:
        """Seconds until ``key`` may make one call of cost 1."""
        tat = self._tat.get(key)
        if tat is None:
            return 0.0
        wait = tat + self._interval - now - self._tolerance
        return wait if wait > SLACK else 0.0

    def charge(self, key: str, costs: Sequence[int], now: float) -> Charge:
        """Charge ``costs`` in order to ``key`` at ``now``; see ``RateLimitStore.charge``."""
        horizon = now + self._tolerance
        tat = self._tat.get(key, now)
        clamped = False
        # Never earlier than now, and never past the horizon (where a clock set back leaves it).
        if tat < now:
            tat = now
        elif tat > horizon:
            tat, clamped = horizon, True
        interval, burst, limit = self._interval, self.burst, horizon + SLACK
        allowed = 0
        retry_after = 0.0
        if tat + sum(costs) * interval <= limit:  # all of them fit: no call is dearer than all
            allowed, tat, costs = len(costs), tat + sum(costs) * interval, ()
        for cost in costs:
            # A call dearer than the whole burst could never fit: it takes the whole burst.
            after = tat + (cost if cost < burst else burst) * interval
            if after > limit:
                retry_after = after - horizon
                break
            tat = after
            allowed += 1
        if allowed or clamped:
            if key not in self._tat and len(self._tat) >= self._max_keys:
                self._forget(now)
            self._tat[key] = tat
        if not retry_after and allowed < len(_ALL_OF):
            return _ALL_OF[allowed]
        return Charge(allowed, retry_after)

    def _forget(self, now: float) -> None:
        """Make room: drop the callers whose allowance is whole again (they are as good as
        absent), or if none is, the oldest half of the table."""
        tat = self._tat
        whole = [key for key, at in tat.items() if at <= now]
        for key in whole or list(tat)[: len(tat) // 2 + 1]:
            del tat[key]
