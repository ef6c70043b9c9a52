"""The key format, its checksum and the keys file (the failure throttle is a Gcra: test_gcra)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.auth import keyfile
from app.auth.keys import PREFIX, digest, key_id_of, new_key

ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def test_a_key_is_prefixed_and_names_its_id() -> None:
    key, key_id = new_key()
    assert key.startswith(f"{PREFIX}_{key_id}_")
    assert key_id_of(key) == key_id
    assert len({new_key()[0] for _ in range(100)}) == 100


KEY, _ = new_key()  # one key for every example, so hypothesis can replay them


@given(st.data())
def test_any_one_character_typo_is_caught_by_the_checksum(data: st.DataObject) -> None:
    key = KEY
    position = data.draw(st.integers(len(PREFIX) + 14, len(key) - 1))
    other = data.draw(st.sampled_from(ALPHABET).filter(lambda c: c != key[position]))
    assert key_id_of(key[:position] + other + key[position + 1 :]) is None


@pytest.mark.parametrize("text", ["", "rpch_", "rpch_short_x", "Bearer x", "rpch_" + "a" * 70])
def test_malformed_keys_have_no_id(text: str) -> None:
    assert key_id_of(text) is None


def test_the_file_keeps_digests_never_keys(tmp_path: Path) -> None:
    path = tmp_path / "keys.jsonl"
    key, entry = keyfile.create(path, "ci", ["tasks:work", "calc", "calc"], expires_in_days=1)
    text = path.read_text()
    assert key not in text and digest(key) in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    [loaded] = keyfile.load(path).values()
    assert loaded == entry and loaded.scopes == ["calc", "tasks:work"]
    assert loaded.live(loaded.created_at) and not loaded.live(loaded.created_at + 86_401)
    assert keyfile.revoke(path, entry.id).revoked
    assert not keyfile.load(path)[entry.id].live(loaded.created_at)


def test_a_missing_file_holds_no_keys_and_a_broken_one_says_where(tmp_path: Path) -> None:
    assert keyfile.load(tmp_path / "none.jsonl") == {}
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "x"}\n')
    with pytest.raises(keyfile.KeyFileError, match="line 1"):
        keyfile.load(broken)
