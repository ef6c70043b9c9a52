"""One game round: its phases, its players, and every rule that changes them.

    waiting ──(min players joined)──▶ playing ──(target score reached, or time up)──▶ finished
    finished ──(results_s later: ``over``)──▶ the store starts the next round, number + 1

Everything here is synchronous and takes ``now`` from the caller, so each operation is atomic
(no ``await`` inside) and time is whatever the store's clock says. The round's deadline is
evaluated lazily: any operation that runs at or after it first finishes the round "on time",
dated at the deadline itself, so no timer is needed and a ManualClock moves it in tests.
A finished round's result stays up for ``results_s``; after that the round is ``over`` and
the store replaces it with the next one, just as lazily: no admin and no timer.
Each operation answers with the model game.* returns, built here, where the data is.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass

from app.game.errors import CoolingDown, NameTaken, PlayerNotFound, RoundFull, WrongPhase
from app.game.leaderboard import Leaderboard
from app.game.messages import medal, move_message, welcome
from app.game.models import (
    Action,
    FinishReason,
    Joined,
    MoveResult,
    Phase,
    PlayerStatus,
    RoundState,
    Standing,
    Winner,
)
from app.game.players import Player, authenticate, digest, new_player_id
from app.game.players import new_token as new_player_token
from app.game.rules import level, roll
from app.ids import RANDOM, Ids
from app.names import check_name, name_key
from app.rpc.errors import QuotaExceeded
from app.settings import Settings

AVATARS = ("🦊", "🐼", "🐙", "🦉", "🐯", "🐸", "🦄", "🐲", "🐵", "🐧", "🦁", "🐨")


@dataclass(frozen=True, slots=True)
class Rules:
    """The settings a round plays by."""

    min_players: int
    max_players: int
    max_seats_per_owner: int
    """Most players one principal id may have in the round, so one caller cannot fill it."""
    target_score: int
    round_s: float
    cooldown_s: float
    results_s: float
    """Seconds a finished round's result stays up before the next round replaces it."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        if settings.game_min_players > settings.game_max_players:
            raise ValueError("game_min_players is larger than game_max_players")
        return cls(
            min_players=settings.game_min_players,
            max_players=settings.game_max_players,
            max_seats_per_owner=settings.game_max_seats_per_owner,
            target_score=settings.game_target_score,
            round_s=settings.game_round_s,
            cooldown_s=settings.game_cooldown_s,
            results_s=settings.game_results_s,
        )


class Round:
    """A round's whole state. Methods check, then change, without yielding in between."""

    def __init__(self, number: int, rules: Rules, rng: random.Random, ids: Ids = RANDOM) -> None:
        self.number = number
        self.rules = rules
        self._rng = rng
        self._ids = ids
        self.phase = Phase.WAITING
        self.players: dict[str, Player] = {}
        self._names: set[str] = set()
        self._seats: Counter[str] = Counter()
        """Players per owner (principal id); a new round starts with none."""
        self.board: Leaderboard[str] = Leaderboard()
        self.ends_at: float | None = None
        self.finished_at: float | None = None
        self.winner: Player | None = None
        self.finish_reason: FinishReason | None = None

    def settle(self, now: float) -> None:
        """Finish the round on time if its deadline has passed."""
        if self.phase is Phase.PLAYING and self.ends_at is not None and now >= self.ends_at:
            leader = self.board.leader()
            # A round nobody scored in has no winner; otherwise the leader at the bell wins.
            winner = self.players[leader.player] if leader and leader.score > 0 else None
            self._finish(FinishReason.TIME, winner, self.ends_at)

    def over(self, now: float) -> bool:
        """Whether the round finished at least ``results_s`` ago, so the next one is due."""
        self.settle(now)
        return self.finished_at is not None and now >= self.finished_at + self.rules.results_s

    def time_left(self, now: float) -> float | None:
        """Seconds until the deadline; None before play starts, 0 once finished."""
        self.settle(now)
        if self.phase is Phase.FINISHED:
            return 0.0
        if self.ends_at is None:
            return None
        return self.ends_at - now

    def join(self, owner: str, name: str, now: float) -> Joined:
        """Add a player for ``owner`` (a principal id); the answer carries its secret token,
        which is not kept. ``QuotaExceeded`` once ``owner`` has its most seats."""
        self.settle(now)
        if self.finished_at is not None:
            # Its result is still up, until the store starts the next round: say when.
            wait = max(0.0, self.finished_at + self.rules.results_s - now)
            raise self._wrong_phase(Phase.WAITING, Phase.PLAYING, retry_after_s=round_up(wait))
        check_name(name)
        key = name_key(name)
        if key in self._names:
            raise NameTaken(data={"name": name})
        # The caller's own quota before the shared cap: it is the one the caller can act on.
        held = self._seats[owner]
        if held >= self.rules.max_seats_per_owner:
            raise QuotaExceeded(
                data={"resource": "seats", "limit": self.rules.max_seats_per_owner, "held": held}
            )
        if len(self.players) >= self.rules.max_players:
            raise RoundFull(data={"max_players": self.rules.max_players})
        token = new_player_token(self._ids)
        player = Player(
            id=new_player_id(self._ids),
            name=name,
            emoji=self._rng.choice(AVATARS),
            token_digest=digest(token),
            joined_at=now,
            owner=owner,
        )
        self.players[player.id] = player
        self._names.add(key)
        self._seats[owner] += 1
        self.board.set(player.id, 0)
        if self.phase is Phase.WAITING and len(self.players) >= self.rules.min_players:
            self.phase = Phase.PLAYING
            self.ends_at = now + self.rules.round_s
        needed = max(0, self.rules.min_players - len(self.players))
        return Joined(
            player_id=player.id,
            player_token=token,
            name=player.name,
            emoji=player.emoji,
            round=self.number,
            phase=self.phase,
            message=welcome(player.name, player.emoji, self.phase, needed),
        )

    def move(self, player_id: str, token: str, action: Action, now: float) -> MoveResult:
        """Play ``action`` for the player the token belongs to."""
        self.settle(now)
        # Credentials first: a stranger learns nothing, not even the phase or a cooldown.
        player = authenticate(self.players, player_id, token)
        self._require(Phase.PLAYING)
        if player.last_move_at is not None:
            wait = player.last_move_at + self.rules.cooldown_s - now
            if wait > 0:
                raise CoolingDown(
                    data={"retry_after_s": round_up(wait), "cooldown_s": self.rules.cooldown_s}
                )
        points = roll(self._rng, action)
        before = level(player.score)
        player.score += points
        player.last_move_at = now
        self.board.set(player.id, player.score)
        won = player.score >= self.rules.target_score
        if won:
            self._finish(FinishReason.TARGET, player, now)
        after = level(player.score)
        return MoveResult(
            action=action,
            points=points,
            score=player.score,
            level=after,
            leveled_up=after > before,
            rank=self.board.rank(player.id),
            won=won,
            message=move_message(
                action,
                points=points,
                score=player.score,
                level=after,
                leveled_up=after > before,
                won=won,
            ),
        )

    def status(self, player_id: str, now: float) -> PlayerStatus:
        """A player and its rank; PlayerNotFound if it is not in this round."""
        self.settle(now)
        player = self.players.get(player_id)
        if player is None:
            raise PlayerNotFound(data={"player_id": player_id, "round": self.number})
        return PlayerStatus(
            player_id=player.id,
            name=player.name,
            emoji=player.emoji,
            score=player.score,
            level=level(player.score),
            rank=self.board.rank(player_id),
        )

    def top(self, limit: int, now: float) -> list[Standing]:
        """The best ``limit`` players with their ranks and medals, best first."""
        self.settle(now)
        standings = []
        for place in self.board.top(limit):
            player = self.players[place.player]
            standings.append(
                Standing(
                    rank=place.rank,
                    medal=medal(place.rank),
                    name=player.name,
                    emoji=player.emoji,
                    score=player.score,
                    level=level(player.score),
                )
            )
        return standings

    def state(self, now: float) -> RoundState:
        """The round's phase, player count, rules, time left and outcome."""
        time_left = self.time_left(now)
        rules, winner = self.rules, self.winner
        return RoundState(
            round=self.number,
            phase=self.phase,
            players=len(self.players),
            min_players=rules.min_players,
            max_players=rules.max_players,
            target_score=rules.target_score,
            round_s=rules.round_s,
            time_left_s=time_left,
            cooldown_s=rules.cooldown_s,
            finish_reason=self.finish_reason,
            winner=None
            if winner is None
            else Winner(
                name=winner.name,
                emoji=winner.emoji,
                score=winner.score,
                level=level(winner.score),
            ),
        )

    def _require(self, *allowed: Phase) -> None:
        if self.phase not in allowed:
            raise self._wrong_phase(*allowed)

    def _wrong_phase(self, *allowed: Phase, **more: object) -> WrongPhase:
        return WrongPhase(
            data={"phase": self.phase.value, "allowed": [p.value for p in allowed], **more}
        )

    def _finish(self, reason: FinishReason, winner: Player | None, at: float) -> None:
        self.phase = Phase.FINISHED
        self.finished_at = at
        self.finish_reason = reason
        self.winner = winner


def round_up(seconds: float) -> float:
    """Seconds to the next millisecond up, so waiting that long is always enough."""
    # Round away float noise first (1.0000000001 s is 1 s), then up to whole milliseconds.
    return math.ceil(round(seconds * 1000, 6)) / 1000
