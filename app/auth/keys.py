"""The key format: ``rpch_<id>_<secret><checksum>``, like GitHub's prefixed tokens.

The prefix makes a leaked key easy to recognise (secret scanners, logs); the public id finds
the entry without a search; the 240-bit secret makes a plain SHA-256 digest safe to store,
so checking a key costs microseconds, not argon2's 64 MiB (a denial-of-service lever); the
CRC32 checksum lets a typo or a made-up key be refused before any lookup.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string
import zlib

PREFIX = "rpch"
_ALPHABET = string.ascii_letters + string.digits
_ID_LENGTH = 12
_SECRET_LENGTH = 40  # 62**40 is about 2**238
_CHECKSUM_LENGTH = 6
_TAIL = _SECRET_LENGTH + _CHECKSUM_LENGTH
_SHAPE = re.compile(rf"^{PREFIX}_([A-Za-z0-9]{{{_ID_LENGTH}}})_[A-Za-z0-9]{{{_TAIL}}}$")


def new_key() -> tuple[str, str]:
    """A fresh key and its public id."""
    key_id = _random(_ID_LENGTH)
    body = f"{PREFIX}_{key_id}_{_random(_SECRET_LENGTH)}"
    return body + _checksum(body), key_id


def key_id_of(key: str) -> str | None:
    """The public id of a well-formed key with a valid checksum, else None."""
    match = _SHAPE.match(key)
    if match is None or _checksum(key[:-_CHECKSUM_LENGTH]) != key[-_CHECKSUM_LENGTH:]:
        return None
    return match.group(1)


def digest(key: str) -> str:
    """What the keys file stores instead of the key."""
    return hashlib.sha256(key.encode()).hexdigest()


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def _checksum(body: str) -> str:
    value = zlib.crc32(body.encode())
    out = []
    for _ in range(_CHECKSUM_LENGTH):
        value, digit = divmod(value, len(_ALPHABET))
        out.append(_ALPHABET[digit])
    return "".join(out)
