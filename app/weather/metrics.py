"""The weather's metrics (``rpc_weather_…``): calls to the live provider, answers its cache
gave, and answers the offline model gave because the provider failed. Counted in each
process, on either backend (the Redis cache is shared, its hits are counted where they land).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.stores import Sample

COUNTED = "since this process started"


@dataclass(slots=True)
class Tally:
    ok: int = 0
    """Requests to the live provider that brought an answer."""
    error: int = 0
    """Requests to it that failed: a timeout, an HTTP error, a malformed answer."""
    cache_hits: int = 0
    fallbacks: int = 0

    def samples(self) -> list[Sample]:
        calls = [
            Sample(
                "rpc_weather_provider_calls_total",
                count,
                "counter",
                {"outcome": outcome},
                help=f"Requests to the live provider (0 when offline), by outcome; {COUNTED}.",
            )
            for outcome, count in (("ok", self.ok), ("error", self.error))
        ]
        return [
            *calls,
            Sample(
                "rpc_weather_fallbacks_total",
                self.fallbacks,
                "counter",
                help=f"Answers the offline model gave because the live provider failed; {COUNTED}.",
            ),
            Sample(
                "rpc_weather_cache_hits_total",
                self.cache_hits,
                "counter",
                help=f"Live answers served from the provider's cache; {COUNTED}.",
            ),
        ]
