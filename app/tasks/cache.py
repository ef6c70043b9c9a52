"""Fingerprints of (type, payload), and the result cache, one per owner.

Each principal has a cache of its own: a result computed for one never answers another's
submission, which would hand out that result and confirm what was submitted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson


def canonical(type_: str, payload: Any) -> bytes:
    """Canonical JSON of (type, payload): equal for equal JSON values, whatever the key order."""
    return orjson.dumps([type_, payload], option=orjson.OPT_SORT_KEYS)


def fingerprint(canonical_json: bytes) -> str:
    """A short, collision-resistant key for a canonical (type, payload)."""
    return hashlib.sha256(canonical_json).hexdigest()


def cache_key(owner: str, digest: str) -> str:
    """Where a result for ``owner``'s (type, payload) with this fingerprint is cached."""
    return f"{owner}\n{digest}"


@dataclass(frozen=True, slots=True)
class CachedResult:
    result: Any
    task_id: str
    """The task that computed it."""
    until: float


class ResultCache:
    """Succeeded results by ``cache_key``, each until its ``cache_ttl_s`` runs out."""

    def __init__(self) -> None:
        self._entries: dict[str, CachedResult] = {}

    def put(self, key: str, entry: CachedResult) -> None:
        self._entries[key] = entry

    def get(self, key: str, now: float) -> CachedResult | None:
        entry = self._entries.get(key)
        return entry if entry is not None and entry.until > now else None

    def expire(self, key: str, now: float) -> None:
        entry = self._entries.get(key)
        if entry is not None and entry.until <= now:
            del self._entries[key]
