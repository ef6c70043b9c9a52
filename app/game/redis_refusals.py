"""The errors the game's Lua scripts refuse with, built with exactly memory's ``data``.

A script names the refusal and sends only what it alone knows (the phase, a wait as a
17-digit string, seats held, the round number); what the caller or the rules already know
is added here, and waits are rounded up to the millisecond the way round.py rounds them.
"""

from __future__ import annotations

from app.game.errors import (
    BadCredentials,
    CoolingDown,
    NameTaken,
    PlayerNotFound,
    RoundFull,
    WrongPhase,
)
from app.game.models import Phase
from app.game.round import Rules, round_up
from app.redis_link import ErrorFactory
from app.rpc.errors import QuotaExceeded

Refusals = dict[str, ErrorFactory]


def join_refusals(rules: Rules, name: str) -> Refusals:
    """What join.lua may refuse ``name`` with."""
    return {
        "WrongPhase": lambda data: WrongPhase(
            data={
                "phase": data["phase"],
                "allowed": [Phase.WAITING.value, Phase.PLAYING.value],
                "retry_after_s": round_up(float(data["wait"])),
            }
        ),
        "NameTaken": lambda _: NameTaken(data={"name": name}),
        "QuotaExceeded": lambda held: QuotaExceeded(
            data={"resource": "seats", "limit": rules.max_seats_per_owner, "held": held}
        ),
        "RoundFull": lambda _: RoundFull(data={"max_players": rules.max_players}),
    }


def move_refusals(rules: Rules) -> Refusals:
    """What move.lua may refuse with."""
    return {
        "BadCredentials": lambda _: BadCredentials(),
        "WrongPhase": lambda phase: WrongPhase(
            data={"phase": phase, "allowed": [Phase.PLAYING.value]}
        ),
        "CoolingDown": lambda wait: CoolingDown(
            data={"retry_after_s": round_up(float(wait)), "cooldown_s": rules.cooldown_s}
        ),
    }


def status_refusals(player_id: str) -> Refusals:
    """What status.lua may refuse ``player_id`` with."""
    return {
        "PlayerNotFound": lambda number: PlayerNotFound(
            data={"player_id": player_id, "round": number}
        )
    }
