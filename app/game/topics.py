"""What game.* publishes for subscribers: one topic, ``game``, whose events carry a ``kind``.

- ``move``: an accepted move, with the mover's public view (``player_id``, ``name``,
  ``emoji``; never its token) and the move's numbers as game.move answers them, less the
  message addressed to the mover.
- ``leaderboard``: the top ``TOP`` as a move changed it, as game.leaderboard shows them.
- ``phase``: the round as a handler saw it change (game.state's fields): a new round, the
  join that opened a round or started its play, and the move that won it.
"""

from __future__ import annotations

from pydantic import JsonValue

from app.game.models import MoveResult, Phase, PlayerStatus, RoundState, Standing

TOPIC = "game"
TOP = 10
"""How many places the ``leaderboard`` events hold."""


def changes_top(moved: MoveResult) -> bool:
    """Whether the move changed the top ``TOP``.

    Scores only rise, and a move changes its mover's score alone, so the top changes
    exactly when the mover scored and is in it now: exact, stateless, and free (the rank is
    in the move's answer). Comparing with the last top published would read the top on every
    move, and keep a memo in each process that neither replicas nor a restart would share.
    """
    return moved.points > 0 and moved.rank <= TOP


def player(player_id: str, status: PlayerStatus | None) -> JsonValue:
    """The mover as game.status shows it, less its numbers (the move has them); only its
    id if the round moved on before it could be read (``game_results_s`` 0)."""
    if status is None:
        return {"player_id": player_id}
    return {"player_id": player_id, "name": status.name, "emoji": status.emoji}


def move(mover: JsonValue, moved: MoveResult) -> JsonValue:
    data: JsonValue = {
        "kind": "move",
        "player": mover,
        **moved.model_dump(mode="json", exclude={"message"}),
    }
    return data


def leaderboard(top: list[Standing]) -> JsonValue:
    return {"kind": "leaderboard", "top": [place.model_dump(mode="json") for place in top]}


def phase(state: RoundState) -> JsonValue:
    data: JsonValue = {"kind": "phase", **state.model_dump(mode="json")}
    return data


def opened_or_started(state: RoundState) -> bool:
    """Whether the join just made, seen in ``state``, opened the round (its first player)
    or started its play (the last player it waited for)."""
    started = state.phase is Phase.PLAYING and state.players == state.min_players
    return state.players == 1 or started
