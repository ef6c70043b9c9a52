"""How many requests are being served, and how many may be: past it, shed at once."""

from __future__ import annotations


class Admission:
    """Requests (and WebSocket frames) in flight on /rpc, and the cap on them."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.inflight = 0
        self.delayed = 0
        """Requests waiting out the delay after a wrong key (not in flight meanwhile)."""
