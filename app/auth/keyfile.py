"""The keys file (``RPC_KEYS_FILE``): one JSON object per line, one line per key.

A line holds the key's public id, name, scopes, creation and optional expiry time, whether
it is revoked, and the SHA-256 digest of the key; never the key. Appending and revoking
rewrite the file through a temporary file and a rename, so a reader (the server reloading
on SIGHUP) never sees half a file.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ValidationError

from app.auth.keys import digest, new_key


class KeyFileError(ValueError):
    """The keys file cannot be read or written as it is."""


class KeyEntry(BaseModel):
    id: str
    name: str
    scopes: list[str]
    created_at: float
    expires_at: float | None = None
    revoked: bool = False
    sha256: str

    def live(self, now: float) -> bool:
        return not self.revoked and (self.expires_at is None or now < self.expires_at)


def load(path: str | Path) -> dict[str, KeyEntry]:
    """Every entry by id; a missing file holds no keys."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise KeyFileError(f"cannot read {path}: {exc.strerror}") from None
    entries: dict[str, KeyEntry] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = KeyEntry.model_validate_json(line)
        except ValidationError:
            raise KeyFileError(f"{path}, line {number}: not a key entry") from None
        entries[entry.id] = entry
    return entries


def create(
    path: str | Path, name: str, scopes: Iterable[str], expires_in_days: float | None = None
) -> tuple[str, KeyEntry]:
    """Append a new key; return the key itself (shown once) and its entry."""
    key, key_id = new_key()
    now = time.time()
    entry = KeyEntry(
        id=key_id,
        name=name,
        scopes=sorted(set(scopes)),
        created_at=now,
        expires_at=None if expires_in_days is None else now + expires_in_days * 86_400,
        sha256=digest(key),
    )
    entries = load(path)
    entries[key_id] = entry
    _write(path, entries.values())
    return key, entry


def revoke(path: str | Path, key_id: str) -> KeyEntry:
    """Mark a key revoked; raise KeyError for an unknown id."""
    entries = load(path)
    entry = entries[key_id].model_copy(update={"revoked": True})
    entries[key_id] = entry
    _write(path, entries.values())
    return entry


def _write(path: str | Path, entries: Iterable[KeyEntry]) -> None:
    target = Path(path)
    text = "".join(entry.model_dump_json() + "\n" for entry in entries)
    # Digests only, but still nobody else's business: the file is private to its owner.
    fd, scratch = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
        os.chmod(scratch, 0o600)
        os.replace(scratch, target)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise
