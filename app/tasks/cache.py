"""Fingerprints of (type, payload), and the result cache, one per owner.

Each principal has a cache of its own: a result computed for one never answers another's
submission, which would hand out that result and confirm what was submitted.

An entry lives until its ``cache_ttl_s`` runs out or its task is forgotten, whichever comes
first: it shares the task's result bytes, so it must not outlive them. The cache holds at most
``max_entries`` entries and ``max_bytes`` of results; the oldest entries make room for new
ones (a cache may forget: a miss only means the task runs).
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
    result_json: bytes
    task_id: str
    """The task that computed it."""
    until: float


class ResultCache:
    """Succeeded results by ``cache_key``, oldest first, within its entry and byte caps."""

    def __init__(self, max_entries: int = 10_000, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: dict[str, CachedResult] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def deadlines(self) -> list[tuple[str, float]]:
        """(key, until) of every entry."""
        return [(key, entry.until) for key, entry in self._entries.items()]

    def put(self, key: str, entry: CachedResult) -> None:
        """Cache ``entry`` (the newest), forgetting the oldest entries to make room."""
        size = len(entry.result_json)
        self._pop(key)
        if size > self.max_bytes:
            return
        while self._entries and (
            len(self._entries) >= self.max_entries or self.bytes + size > self.max_bytes
        ):
            self._pop(next(iter(self._entries)))
        self._entries[key] = entry
        self.bytes += size

    def get(self, key: str, now: float) -> CachedResult | None:
        entry = self._entries.get(key)
        return entry if entry is not None and entry.until > now else None

    def expire(self, key: str, now: float) -> None:
        entry = self._entries.get(key)
        if entry is not None and entry.until <= now:
            self._pop(key)

    def drop(self, key: str, task_id: str) -> None:
        """Forget the entry at ``key`` if ``task_id`` computed it (that task is forgotten)."""
        entry = self._entries.get(key)
        if entry is not None and entry.task_id == task_id:
            self._pop(key)

    def _pop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.bytes -= len(entry.result_json)
