"""The rate limiter on Redis: one allowance per caller, whichever replica the caller reaches.

Each caller is one key holding its TAT (see ``gcra.py``), named by a digest of the caller's
key, since an address or a key id may be as long as a client likes. A charge is one script
(``lua/charge.lua``, the same GCRA in the same float operations); the key expires once the
allowance is whole again, which stands in for the memory table's bound. A charge touches one
key, so each caller has a hash tag of its own, and Redis Cluster spreads callers over slots.

While Redis does not answer, each process limits on its own (the memory backend) instead of
refusing every call: calls that need no store go on, and the in-flight cap still holds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from app.limits.gcra import SLACK
from app.limits.memory import MemoryRateLimitStore
from app.limits.models import Charge
from app.redis_link import StoreUnavailable
from app.stores import Backend, StoreContext

IDLE_GRACE_MS = 60_000
"""How long a caller's key outlives its TAT: room for replicas' clocks running ahead of Redis's."""


class RedisRateLimitStore(Backend):
    def __init__(self, context: StoreContext) -> None:
        settings = context.settings
        self._clock = context.clock
        self.rate = settings.rate_limit
        self.burst = settings.rate_burst
        self._interval = 1.0 / self.rate if self.rate else 0.0
        self._tolerance = self.burst * self._interval
        self._link = context.link()
        self._prefix = f"{{{self._link.prefix}:limits:"
        self._alone = MemoryRateLimitStore(context)
        self._charge = self._link.script_file(__package__ or "app.limits", "charge")

    async def retry_after(self, key: str) -> float:
        if not self.rate:
            return 0.0
        try:
            stored = await self._link.command("GET", self._key(key))
        except StoreUnavailable:
            return await self._alone.retry_after(key)
        if stored is None:
            return 0.0
        wait = float(stored) + self._interval - self._clock.time() - self._tolerance
        return wait if wait > SLACK else 0.0

    async def charge(self, key: str, costs: Sequence[int]) -> Charge:
        if not self.rate:
            return Charge(len(costs))
        now = self._clock.time()
        args = [now, self._interval, self.burst, SLACK, IDLE_GRACE_MS, *costs]
        try:
            allowed, retry_after = await self._link.run(self._charge, [self._key(key)], args)
        except StoreUnavailable:
            return await self._alone.charge(key, costs)
        return Charge(int(allowed), float(retry_after))

    def _key(self, caller: str) -> str:
        # surrogatepass: any str is a caller, even one no UTF-8 decoder would have produced.
        digest = hashlib.blake2b(caller.encode(errors="surrogatepass"), digest_size=16)
        return f"{self._prefix}{digest.hexdigest()}}}:tat"
