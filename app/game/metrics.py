"""The game's metrics (``rpc_game_…``), read from the round in play."""

from __future__ import annotations

from app.stores import Sample


def samples(players: int, rounds: int, counted: str) -> list[Sample]:
    """``players`` in the round in play, numbered ``rounds``; ``counted`` says where rounds
    are numbered."""
    return [
        Sample(
            "rpc_game_active_players",
            players,
            help="Players in the current round (a finished one's, until the next begins).",
        ),
        Sample(
            "rpc_game_rounds_total",
            rounds,
            "counter",
            help=f"Rounds begun, the current one included (its number); {counted}.",
        ),
    ]
