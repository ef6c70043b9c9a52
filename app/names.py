"""Display names people choose (a player's, a chat member's): what they may be, and the form
two of them are compared in, the same in every domain.

A name is 1 to 32 printable characters with no space at either end. Names compare ignoring
case and Unicode compatibility forms: "Ada", "ADA" and "Ａｄａ" (full-width) are one name, so
nobody can pass as another with a look-alike.
"""

from __future__ import annotations

import unicodedata

NAME_MAX = 32


def check_name(name: str) -> str:
    """Return ``name`` if it is a valid display name; raise ValueError saying why not."""
    if not 1 <= len(name) <= NAME_MAX:
        raise ValueError(f"a name has 1 to {NAME_MAX} characters")
    # isprintable() is false for control, format and separator characters but the space.
    if not name.isprintable():
        raise ValueError("a name has only printable characters")
    if name != name.strip():
        raise ValueError("a name does not start or end with a space")
    return name


def name_key(name: str) -> str:
    """The form two names are compared in: NFKC-normalised and case-folded."""
    return unicodedata.normalize("NFKC", name).casefold()
