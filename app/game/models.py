"""What game.* methods take and return: one definition each, built by the backend itself.

No class here has a docstring: pydantic would publish it as the schema's description, and
the OpenRPC document describes these through their fields and methods instead.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from app.names import NAME_MAX, check_name

PlayerName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=NAME_MAX,
        description="1 to 32 printable characters, unique in the round (ignoring case).",
    ),
    AfterValidator(check_name),
]
PlayerId = Annotated[str, Field(min_length=1, max_length=64, description="From game.join.")]
PlayerToken = Annotated[
    str, Field(min_length=1, max_length=128, description="The secret from game.join.")
]


class Action(StrEnum):
    ATTACK = "attack"
    DEFEND = "defend"
    SPECIAL = "special"


# waiting ──(min players joined)──▶ playing ──(target score reached, or time up)──▶ finished
class Phase(StrEnum):
    WAITING = "waiting"
    PLAYING = "playing"
    FINISHED = "finished"


class FinishReason(StrEnum):
    TARGET = "target"
    TIME = "time"


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
