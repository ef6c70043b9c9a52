"""What room and member names may be, and the form member names are compared in.

A room name is a slug: it goes into topic names (``chat:<room>``) and Redis keys as it is.
A member name is 1 to 32 printable characters with no space at either end, unique in its room
ignoring case and Unicode compatibility forms: "Ada", "ADA" and "Ａｄａ" are one name, so
nobody can pass as another member with a look-alike.
"""

from __future__ import annotations

import re
import unicodedata

ROOM_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
NAME_MAX = 32

_ROOM = re.compile(ROOM_PATTERN)


def check_room(room: str) -> str:
    """Return ``room`` if it is a valid room name; raise ValueError saying why not."""
    # fullmatch: "$" alone would also accept a trailing newline.
    if not _ROOM.fullmatch(room):
        raise ValueError("a room name is 1 to 64 of a-z, 0-9, _ and -, not starting with _ or -")
    return room


def check_name(name: str) -> str:
    """Return ``name`` if it is a valid member name; raise ValueError saying why not."""
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
