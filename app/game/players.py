"""Players of a round: unguessable ids, secret tokens, and the names they play under.

A token is 256 bits from ``secrets`` and is shown once, at join. The round keeps only its
SHA-256 digest, compared in constant time, so a dump of the state reveals no token. An
unknown player and a wrong token take the same path and raise the same error, so a caller
learns nothing about which ids exist.

Players' names are display names (``app.names``), unique within a round.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from app.game.errors import BadCredentials
from app.ids import Ids

TOKEN_BYTES = 32
"""256 bits: far beyond guessing, and twice the 128 the issue asks for."""
ID_BYTES = 12


def new_player_id(ids: Ids) -> str:
    """An unguessable public id for a player."""
    return ids.new("player", ID_BYTES, "p_")


def new_token(ids: Ids) -> str:
    """A fresh secret token for a player (shown to them once)."""
    return ids.new("player_token", TOKEN_BYTES)


def digest(token: str) -> bytes:
    """What the round keeps of a token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


# Compared against when the id is unknown, so both failures cost the same.
_DECOY = digest(secrets.token_urlsafe(TOKEN_BYTES))


@dataclass(slots=True)
class Player:
    """A player as the round keeps it: the token only as its digest."""

    id: str
    name: str
    emoji: str
    token_digest: bytes
    joined_at: float
    owner: str
    """The principal id that joined it: what the per-caller seat quota counts."""
    last_move_at: float | None = None
    score: int = 0


def authenticate(players: dict[str, Player], player_id: str, token: str) -> Player:
    """The player ``player_id`` if ``token`` is theirs; BadCredentials otherwise, either way."""
    player = players.get(player_id)
    expected = player.token_digest if player is not None else _DECOY
    matches = secrets.compare_digest(digest(token), expected)
    if player is None or not matches:
        raise BadCredentials
    return player
