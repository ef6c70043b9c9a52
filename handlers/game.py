"""game.*: a multiplayer round with secret player tokens, cooldowns, levels and a leaderboard.

Join to get a ``player_id`` and a secret ``player_token``; every move needs both. The round
starts playing once enough players have joined, and finishes when someone reaches the target
score or its time runs out. Its result stays up for a while, then the next round begins on
its own. Messages, medals and emoji are for display; the state is in
the numbers and the phase.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.game.errors import (
    BadCredentials,
    CoolingDown,
    NameTaken,
    PlayerNotFound,
    RoundFull,
    WrongPhase,
)
from app.game.models import (
    Action,
    Joined,
    MoveResult,
    PlayerId,
    PlayerName,
    PlayerStatus,
    PlayerToken,
    RoundState,
    Standing,
)
from app.game.store import GameStore
from app.rpc.context import CallContext
from app.rpc.namespace import Method, Namespace
from handlers.examples import game as examples


async def join(game: GameStore, ctx: CallContext, name: PlayerName) -> Joined:
    """Join the current round under a name, and get your secret player token.

    The token is shown only this once: send it with every move. The round starts playing once
    enough players have joined; players may also join while it plays. While a finished
    round's result is up, a join is refused with ``retry_after_s``: the wait for the next one.
    A caller with its most players in the round (all anonymous callers count as one) gets
    -32006 with ``resource``, ``limit`` and ``held``, until the next round.
    """
    return await game.join(ctx.principal, name)


async def move(
    game: GameStore, player_id: PlayerId, player_token: PlayerToken, action: Action
) -> MoveResult:
    """Make a move: attack (10-50 points), defend (5-20) or special (50-100, half the time).

    Needs the player's token and a round that is playing; each player may move once per
    cooldown. A level comes every 100 points, and reaching the target score wins the round.
    """
    return await game.move(player_id, player_token, action)


async def status(game: GameStore, player_id: PlayerId) -> PlayerStatus:
    """A player's name, score, level, emoji and rank in the current round."""
    return await game.status(player_id)


async def leaderboard(
    game: GameStore,
    limit: Annotated[int, Field(ge=1, le=100, description="How many players, best first.")] = 5,
) -> list[Standing]:
    """The round's top players, best first, with medals for the top five."""
    return await game.leaderboard(limit)


async def state(game: GameStore) -> RoundState:
    """The round's phase, player count, time left, and how it ended."""
    return await game.state()


async def new_round(game: GameStore) -> RoundState:
    """Start a new round at once, dropping every player (scope ``game:admin``).

    Not needed for play: a finished round gives way to the next on its own.
    """
    return await game.new_round()


namespace = Namespace(
    "game",
    [
        # Sensitive: its answer holds the player's token, which the console must not keep.
        Method(
            join,
            redact_values=True,
            errors=[NameTaken, RoundFull, WrongPhase],
            examples=examples.JOIN,
        ),
        Method(move, errors=[BadCredentials, WrongPhase, CoolingDown], examples=examples.MOVE),
        Method(status, idempotent=True, errors=[PlayerNotFound], examples=examples.STATUS),
        Method(leaderboard, idempotent=True, examples=examples.LEADERBOARD),
        Method(state, idempotent=True, examples=examples.STATE),
        Method(new_round, scope="game:admin", examples=examples.NEW_ROUND),
    ],
)
