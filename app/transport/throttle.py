"""Failed credentials, throttled per client address with GCRA (one timestamp per address).

Each address may fail ``burst`` times at once, then once per ``interval_s``; past that its
credentialed requests are refused without a look at the key. The table is bounded: past
``max_addresses`` the oldest entry is forgotten, so a flood of addresses cannot grow memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class FailureThrottle:
    def __init__(
        self,
        burst: int = 10,
        interval_s: float = 6.0,
        max_addresses: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = interval_s
        self._tolerance = (burst - 1) * interval_s  # so exactly `burst` fit at once
        self._max = max_addresses
        self._clock = clock
        self._tat: dict[str, float] = {}
        """Theoretical arrival time of each address's next failure (GCRA's one number)."""

    def retry_after(self, address: str) -> float:
        """Seconds until ``address`` may fail again; 0 if it may now."""
        tat = self._tat.get(address)
        if tat is None:
            return 0.0
        wait = tat - self._tolerance - self._clock()
        return max(0.0, wait)

    def failed(self, address: str) -> None:
        """Charge one failure to ``address``."""
        now = self._clock()
        tat = max(self._tat.pop(address, now), now) + self._interval
        if len(self._tat) >= self._max:
            del self._tat[next(iter(self._tat))]
        self._tat[address] = tat  # re-inserted last: the oldest entry is the stalest
