"""game.*: a multiplayer round with secret player tokens, cooldowns, levels and a leaderboard.

Join to get a ``player_id`` and a secret ``player_token``; every move needs both. The round
starts playing once enough players have joined, and finishes when someone reaches the target
score or its time runs out. Messages, medals and emoji here are for display; the state is in
the numbers and the phase.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from app.auth import require_admin
from app.game.players import BadCredentials, PlayerName
from app.game.round import (
    CoolingDown,
    FinishReason,
    Moved,
    NameTaken,
    Phase,
    PlayerNotFound,
    RoundFull,
    WrongPhase,
)
from app.game.rules import Action
from app.game.store import PlayerView, RoundView
from app.rpc.context import CallContext
from app.rpc.namespace import Example, Method, Namespace
from app.settings import Settings
from app.store import Store

MEDALS = ("🥇", "🥈", "🥉", "🏅", "🏅")
PlayerId = Annotated[str, Field(min_length=1, max_length=64, description="From game.join.")]
PlayerToken = Annotated[
    str, Field(min_length=1, max_length=128, description="The secret from game.join.")
]


class Joined(BaseModel):
    player_id: str
    player_token: str = Field(description="Secret, shown only now: send it with every move.")
    name: str
    emoji: str
    round: int
    phase: Phase
    message: str


class MoveResult(BaseModel):
    action: Action
    points: int = Field(description="Points this move earned.")
    score: int
    level: int
    leveled_up: bool
    rank: int
    won: bool = Field(description="This move reached the target score and finished the round.")
    message: str


class PlayerStatus(BaseModel):
    player_id: str
    name: str
    emoji: str
    score: int
    level: int
    rank: int = Field(description="1 is the leader; ties go to whoever reached the score first.")


class Standing(BaseModel):
    rank: int
    medal: str | None = Field(description="🥇🥈🥉🏅🏅 for the top five, otherwise null.")
    name: str
    emoji: str
    score: int
    level: int


class Winner(BaseModel):
    name: str
    emoji: str
    score: int
    level: int


class RoundState(BaseModel):
    round: int
    phase: Phase
    players: int
    min_players: int
    max_players: int
    target_score: int
    round_s: float
    time_left_s: float | None = Field(
        description="Seconds until the round ends on time: null while waiting, 0 when finished."
    )
    cooldown_s: float
    finish_reason: FinishReason | None
    winner: Winner | None


async def join(store: Store, name: PlayerName) -> Joined:
    """Join the current round under a name, and get your secret player token.

    The token is shown only this once: send it with every move. The round starts playing once
    enough players have joined; players may also join while it plays.
    """
    joined = await store.game.join(name)
    player = joined.player
    if joined.phase is Phase.WAITING:
        missing = joined.players_needed
        after = f"Waiting for {missing} more player{'s' if missing != 1 else ''}."
    else:
        after = "The round is on: make your move!"
    return Joined(
        player_id=player.id,
        player_token=joined.token,
        name=player.name,
        emoji=player.emoji,
        round=joined.round,
        phase=joined.phase,
        message=f"Welcome, {player.name} {player.emoji}! {after}",
    )


async def move(
    store: Store, player_id: PlayerId, player_token: PlayerToken, action: Action
) -> MoveResult:
    """Make a move: attack (10-50 points), defend (5-20) or special (50-100, half the time).

    Needs the player's token and a round that is playing; each player may move once per
    cooldown. A level comes every 100 points, and reaching the target score wins the round.
    """
    moved = await store.game.move(player_id, player_token, action)
    return MoveResult(
        action=action,
        points=moved.points,
        score=moved.score,
        level=moved.level,
        leveled_up=moved.leveled_up,
        rank=moved.rank,
        won=moved.won,
        message=_move_message(action, moved),
    )


async def status(store: Store, player_id: PlayerId) -> PlayerStatus:
    """A player's name, score, level, emoji and rank in the current round."""
    player = await store.game.status(player_id)
    return PlayerStatus(
        player_id=player.id,
        name=player.name,
        emoji=player.emoji,
        score=player.score,
        level=player.level,
        rank=player.rank,
    )


async def leaderboard(
    store: Store,
    limit: Annotated[int, Field(ge=1, le=100, description="How many players, best first.")] = 5,
) -> list[Standing]:
    """The round's top players, best first, with medals for the top five."""
    return [_standing(player) for player in await store.game.leaderboard(limit)]


async def state(store: Store) -> RoundState:
    """The round's phase, player count, time left, and how it ended."""
    return _round_state(await store.game.state())


async def new_round(store: Store, settings: Settings, ctx: CallContext) -> RoundState:
    """Start a new round, dropping every player (admin: ``Authorization: Bearer <token>``).

    Without the admin token the call is refused with -32001; with no admin token configured,
    with -32002.
    """
    require_admin(ctx, settings)
    return _round_state(await store.game.new_round())


def _move_message(action: Action, moved: Moved) -> str:
    if action is Action.ATTACK:
        text = f"⚔️ Attack hits for {moved.points} points!"
    elif action is Action.DEFEND:
        text = f"🛡️ Defend earns {moved.points} points."
    elif moved.points:
        text = f"✨ Special lands for {moved.points} points!"
    else:
        text = "💨 Special fizzles: no points this time."
    if moved.leveled_up:
        text += f" Level up: you are level {moved.level}!"
    if moved.won:
        text += f" 🏆 {moved.score} points: you win the round!"
    return text


def _standing(player: PlayerView) -> Standing:
    return Standing(
        rank=player.rank,
        medal=MEDALS[player.rank - 1] if player.rank <= len(MEDALS) else None,
        name=player.name,
        emoji=player.emoji,
        score=player.score,
        level=player.level,
    )


def _round_state(view: RoundView) -> RoundState:
    rules = view.rules
    winner = view.winner
    return RoundState(
        round=view.number,
        phase=view.phase,
        players=view.players,
        min_players=rules.min_players,
        max_players=rules.max_players,
        target_score=rules.target_score,
        round_s=rules.round_s,
        time_left_s=view.time_left_s,
        cooldown_s=rules.cooldown_s,
        finish_reason=view.finish_reason,
        winner=Winner(name=winner.name, emoji=winner.emoji, score=winner.score, level=winner.level)
        if winner
        else None,
    )


_PLAYER = "p_3kTMd1eYhP0q2RxZ"
# Shown in OpenRPC as an illustration; real tokens come from secrets at join.
_TOKEN = "Yt2v8yXo0m0i0vGkz3fJp0m7cF1u4hQ6l9nE2sWbA5c"  # noqa: S105
_ROUND = {
    "round": 1,
    "phase": "playing",
    "players": 2,
    "min_players": 2,
    "max_players": 1000,
    "target_score": 1000,
    "round_s": 300.0,
    "time_left_s": 241.5,
    "cooldown_s": 1.0,
    "finish_reason": None,
    "winner": None,
}

namespace = Namespace(
    "game",
    [
        Method(
            join,
            errors=[NameTaken, RoundFull, WrongPhase],
            examples=[
                Example(
                    "first player",
                    {"name": "Ada"},
                    {
                        "player_id": _PLAYER,
                        "player_token": _TOKEN,
                        "name": "Ada",
                        "emoji": "🦊",
                        "round": 1,
                        "phase": "waiting",
                        "message": "Welcome, Ada 🦊! Waiting for 1 more player.",
                    },
                )
            ],
        ),
        Method(
            move,
            errors=[BadCredentials, WrongPhase, CoolingDown],
            examples=[
                Example(
                    "an attack",
                    {"player_id": _PLAYER, "player_token": _TOKEN, "action": "attack"},
                    {
                        "action": "attack",
                        "points": 32,
                        "score": 132,
                        "level": 2,
                        "leveled_up": True,
                        "rank": 1,
                        "won": False,
                        "message": "⚔️ Attack hits for 32 points! Level up: you are level 2!",
                    },
                )
            ],
        ),
        Method(
            status,
            idempotent=True,
            errors=[PlayerNotFound],
            examples=[
                Example(
                    "a player",
                    {"player_id": _PLAYER},
                    {
                        "player_id": _PLAYER,
                        "name": "Ada",
                        "emoji": "🦊",
                        "score": 132,
                        "level": 2,
                        "rank": 1,
                    },
                )
            ],
        ),
        Method(
            leaderboard,
            idempotent=True,
            examples=[
                Example(
                    "the top two",
                    {"limit": 2},
                    [
                        {
                            "rank": 1,
                            "medal": "🥇",
                            "name": "Ada",
                            "emoji": "🦊",
                            "score": 132,
                            "level": 2,
                        },
                        {
                            "rank": 2,
                            "medal": "🥈",
                            "name": "Grace",
                            "emoji": "🐙",
                            "score": 45,
                            "level": 1,
                        },
                    ],
                )
            ],
        ),
        Method(state, idempotent=True, examples=[Example("mid-round", [], _ROUND)]),
        Method(
            new_round,
            examples=[
                Example(
                    "a fresh round",
                    [],
                    {**_ROUND, "round": 2, "phase": "waiting", "players": 0, "time_left_s": None},
                )
            ],
        ),
    ],
)
