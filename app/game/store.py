"""The game's store: the current round behind ``game.*``, with atomic async operations.

Each operation reads the clock once and runs one synchronous ``Round`` method, so nothing
can interleave between its checks and its changes: of two players racing to the target,
exactly one wins, and no move is accepted once the round is finished.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from app.clock import Clock
from app.game.players import Player
from app.game.round import FinishReason, Moved, Phase, Round, Rules
from app.game.rules import Action, level
from app.settings import Settings


@dataclass(frozen=True, slots=True)
class PlayerView:
    """A player as others may see it (no token)."""

    id: str
    name: str
    emoji: str
    score: int
    level: int
    rank: int


@dataclass(frozen=True, slots=True)
class JoinOutcome:
    player: PlayerView
    token: str
    """The player's secret; the store keeps only its digest, so it is shown this once."""
    round: int
    phase: Phase
    players_needed: int
    """How many more players must join before the round starts playing."""


@dataclass(frozen=True, slots=True)
class RoundView:
    number: int
    phase: Phase
    players: int
    time_left_s: float | None
    rules: Rules
    finish_reason: FinishReason | None
    winner: PlayerView | None


class GameStore:
    """The current round, and the seeded generator every round's points come from."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        if settings.game_min_players > settings.game_max_players:
            raise ValueError("game_min_players is larger than game_max_players")
        self._clock = clock
        self._rules = Rules(
            min_players=settings.game_min_players,
            max_players=settings.game_max_players,
            target_score=settings.game_target_score,
            round_s=settings.game_round_s,
            cooldown_s=settings.game_cooldown_s,
        )
        # Points are not secrets, and a seed makes rounds reproducible; None seeds from the OS.
        self._rng = random.Random(settings.game_seed)  # noqa: S311
        self._round = Round(1, self._rules, self._rng)

    async def join(self, name: str) -> JoinOutcome:
        """Add a player named ``name`` to the round."""
        round_ = self._round
        player, token = round_.join(name, self._clock.time())
        return JoinOutcome(
            player=self._view(player, round_.board.rank(player.id)),
            token=token,
            round=round_.number,
            phase=round_.phase,
            players_needed=max(0, self._rules.min_players - len(round_.players)),
        )

    async def move(self, player_id: str, token: str, action: Action) -> Moved:
        """Play ``action`` for the player, if ``token`` is theirs and the rules allow it."""
        return self._round.move(player_id, token, action, self._clock.time())

    async def status(self, player_id: str) -> PlayerView:
        """One player of the round, with its rank."""
        player, rank = self._round.player(player_id, self._clock.time())
        return self._view(player, rank)

    async def leaderboard(self, limit: int) -> list[PlayerView]:
        """The best ``limit`` players, best first."""
        return [self._view(p, rank) for rank, p in self._round.top(limit, self._clock.time())]

    async def state(self) -> RoundView:
        """The round's phase, player count, time left and outcome."""
        return self._snapshot(self._round)

    async def new_round(self) -> RoundView:
        """Replace the round with a fresh one, in ``waiting``, with no players."""
        self._round = Round(self._round.number + 1, self._rules, self._rng)
        return self._snapshot(self._round)

    def _snapshot(self, round_: Round) -> RoundView:
        time_left = round_.time_left(self._clock.time())
        winner = round_.winner
        return RoundView(
            number=round_.number,
            phase=round_.phase,
            players=len(round_.players),
            time_left_s=time_left,
            rules=self._rules,
            finish_reason=round_.finish_reason,
            winner=self._view(winner, round_.board.rank(winner.id)) if winner else None,
        )

    @staticmethod
    def _view(player: Player, rank: int) -> PlayerView:
        return PlayerView(
            player.id, player.name, player.emoji, player.score, level(player.score), rank
        )
