"""How the city index compares names: case-folded, compatibility-decomposed, accents stripped.

So ``sao paulo`` finds ``São Paulo`` and ``KOLN`` finds ``Köln``. Folded text never holds a
newline (whitespace collapses to single spaces), which lets the packed table join names by one.
"""

from __future__ import annotations

import functools
import unicodedata

# Letters that Unicode does not decompose into a base letter plus an accent.
_LETTERS = {"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "ŧ": "t", "æ": "ae", "œ": "oe"}
_APOSTROPHES = "‘’ʻʼ`´"

LAST_COMBINING_PLANE = 0x1FFFF
"""No plane after the first two holds a combining mark (the last is U+1E94A)."""


@functools.cache
def _fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {
        cp: None for cp in range(LAST_COMBINING_PLANE + 1) if unicodedata.combining(chr(cp))
    }
    table.update({ord(letter): plain for letter, plain in _LETTERS.items()})
    table.update({ord(mark): "'" for mark in _APOSTROPHES})
    return table


def fold(text: str) -> str:
    """``text`` as the index compares it: case- and accent-insensitive, spaces normalized."""
    text = " ".join(text.split())
    if text.isascii():
        return text.lower().replace("`", "'")
    return unicodedata.normalize("NFKD", text.casefold()).translate(_fold_table())
