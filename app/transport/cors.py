"""Which browser origins may call us, and the headers that tell the browser so."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "POST",
    "Access-Control-Allow-Headers": "Content-Type, Authorization",
    "Access-Control-Max-Age": "600",
}


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    origins: frozenset[str]
    any_origin: bool

    @classmethod
    def from_origins(cls, origins: Iterable[str]) -> CorsPolicy:
        """``origins`` as configured: exact origins such as ``https://app.example``, or ``*``."""
        cleaned = {origin.strip().rstrip("/").lower() for origin in origins}
        return cls(frozenset(cleaned - {"*"}), "*" in cleaned)

    def allows(self, origin: str) -> bool:
        return self.any_origin or origin.lower() in self.origins
