"""What a room name may be: a slug, since it goes into topic names (``chat:<room>``) and
Redis keys as it is. Member names are display names (``app.names``), unique in their room."""

from __future__ import annotations

import re

ROOM_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"

_ROOM = re.compile(ROOM_PATTERN)


def check_room(room: str) -> str:
    """Return ``room`` if it is a valid room name; raise ValueError saying why not."""
    # fullmatch: "$" alone would also accept a trailing newline.
    if not _ROOM.fullmatch(room):
        raise ValueError("a room name is 1 to 64 of a-z, 0-9, _ and -, not starting with _ or -")
    return room
