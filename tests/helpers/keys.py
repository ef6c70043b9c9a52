"""API keys for tests: written to a keys file as ``rpc-hub keys new`` writes them."""

from __future__ import annotations

from pathlib import Path

from app.auth import keyfile


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def new_key(path: Path, name: str, *scopes: str) -> str:
    """A fresh key with ``scopes`` in the keys file at ``path``."""
    key, _ = keyfile.create(path, name, scopes)
    return key


def expire(path: Path, key_id: str) -> None:
    """Rewrite a key's entry as if its expiry had passed."""
    entries = keyfile.load(path)
    entries[key_id] = entries[key_id].model_copy(update={"expires_at": 1.0})
    path.write_text("".join(entry.model_dump_json() + "\n" for entry in entries.values()))
