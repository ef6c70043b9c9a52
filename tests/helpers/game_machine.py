"""A model-based test of a game store: interleaved joins, moves (some at once), waits and
new rounds, through the GameStore Protocol only.

A plain model replays every accepted move. After each step the store must agree with it:
each score is the sum of the points awarded, the leaderboard is the naive sort, the phase
is what the rules say, at most one player reaches the target, a finished round gives way to
the next one ``game_results_s`` after it finished (and not before), and every refusal is
the one the model expects. The contract suite runs it once per backend.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    precondition,
    rule,
)

from app.clock import ManualClock
from app.game.errors import BadCredentials, CoolingDown, NameTaken, RoundFull, WrongPhase
from app.game.models import Action, MoveResult, Phase
from app.game.store import GameStore
from app.names import name_key
from app.rpc.access import ANONYMOUS
from app.settings import Settings
from app.stores import Backend, StoreContext
from tests.helpers.backends import opened

T = TypeVar("T")

RULES: dict[str, Any] = {
    "game_min_players": 2,
    "game_max_players": 5,
    "game_target_score": 120,
    "game_round_s": 60.0,
    "game_cooldown_s": 1.0,
    "game_results_s": 5.0,
    "game_seed": 0,
}
RANGES = {Action.ATTACK: range(10, 51), Action.DEFEND: range(5, 21)}
NAMES = ["Ada", "ada", "Grace", "Linus", "Barbara", "Ｌｉｎｕｓ", "Ken", "Edsger"]


@dataclass
class PlayerRecord:
    id: str
    token: str
    name: str
    round: int


@dataclass
class RoundModel:
    number: int = 1
    ends_at: float | None = None
    finished: bool = False
    won_at: float | None = None
    scores: dict[str, int] = field(default_factory=dict)
    reached: dict[str, int] = field(default_factory=dict)
    last_move: dict[str, float] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    """Each player's name, by id."""
    tick: int = 0

    def phase(self, now: float) -> Phase:
        if self.finished or (self.ends_at is not None and now >= self.ends_at):
            return Phase.FINISHED
        return Phase.PLAYING if self.ends_at is not None else Phase.WAITING

    def finished_at(self, now: float) -> float | None:
        """When the round finished: at the winning move, or at its deadline."""
        if self.won_at is not None:
            return self.won_at
        if self.ends_at is not None and now >= self.ends_at:
            return self.ends_at
        return None

    def award(self, player: str, points: int) -> None:
        if points:
            self.scores[player] += points
            self.reached[player] = self.tick
            self.tick += 1

    def order(self) -> list[str]:
        return sorted(self.scores, key=lambda p: (-self.scores[p], self.reached[p]))

    def taken(self, name: str) -> bool:
        return name_key(name) in {name_key(known) for known in self.names.values()}


class GameMachine(RuleBasedStateMachine):
    """Drives one backend of GameStore; build it with the backend and settings overrides."""

    players = Bundle("players")

    def __init__(self, backend: Callable[[StoreContext], Backend], **overrides: Any) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = ManualClock()
        self.config = dataclasses.replace(Settings(), **overrides)
        self.exits = AsyncExitStack()
        store = self.loop.run_until_complete(
            self.exits.enter_async_context(opened(backend, self.clock, **overrides))
        )
        assert isinstance(store, GameStore)
        self.store: GameStore = store
        self.model = RoundModel()

    def teardown(self) -> None:
        self.loop.run_until_complete(self.exits.aclose())
        self.loop.close()

    @property
    def now(self) -> float:
        return self.clock.time()

    def run(self, operation: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(operation)

    @rule(target=players, name=st.sampled_from(NAMES))
    def join(self, name: str) -> object:
        now = self.now
        model = self.model
        phase = model.phase(now)
        try:
            joined = self.run(self.store.join(ANONYMOUS, name))
        except WrongPhase as refused:
            assert phase is Phase.FINISHED
            finished_at = model.finished_at(now)
            assert finished_at is not None
            # The result is still up: the refusal says how long until the next round.
            data = refused.data
            assert data["retry_after_s"] >= finished_at + self.config.game_results_s - now > 0
            return multiple()
        except NameTaken:
            assert model.taken(name)
            return multiple()
        except RoundFull:
            assert len(model.scores) == self.config.game_max_players
            return multiple()
        assert phase is not Phase.FINISHED and not model.taken(name)
        assert len(model.scores) < self.config.game_max_players
        assert (joined.name, joined.round) == (name, model.number)
        model.names[joined.player_id] = name
        model.scores[joined.player_id] = 0
        model.reached[joined.player_id] = model.tick
        model.tick += 1
        if model.ends_at is None and len(model.scores) >= self.config.game_min_players:
            model.ends_at = self.now + self.config.game_round_s
        assert joined.phase is model.phase(self.now)
        return PlayerRecord(joined.player_id, joined.player_token, name, model.number)

    @rule(player=players, action=st.sampled_from(list(Action)))
    def move(self, player: PlayerRecord, action: Action) -> None:
        try:
            outcome: MoveResult | BaseException = self.run(
                self.store.move(player.id, player.token, action)
            )
        except (BadCredentials, WrongPhase, CoolingDown) as refused:
            outcome = refused
        self.check_move(player, action, outcome)

    @rule(moves=st.lists(st.tuples(players, st.sampled_from(list(Action))), min_size=2, max_size=8))
    def move_at_once(self, moves: list[tuple[PlayerRecord, Action]]) -> None:
        """Moves in flight together (the same player's too): each accepted one counts once."""

        async def together() -> list[MoveResult | BaseException]:
            return await asyncio.gather(
                *(self.store.move(player.id, player.token, action) for player, action in moves),
                return_exceptions=True,
            )

        outcomes = self.run(together())
        if sum(isinstance(outcome, MoveResult) for outcome in outcomes) > 1:
            event("several moves accepted at once")
        # gather starts the moves in the order given, so the model replays them in that order.
        for (player, action), outcome in zip(moves, outcomes, strict=True):
            self.check_move(player, action, outcome)

    def check_move(self, player: PlayerRecord, action: Action, outcome: object) -> None:
        """Check one move's outcome against the model, and apply it there if it was accepted."""
        model = self.model
        current = player.round == model.number
        phase = model.phase(self.now)
        if isinstance(outcome, BadCredentials):
            assert not current
            return
        if isinstance(outcome, WrongPhase):
            assert current and phase is not Phase.PLAYING
            return
        if isinstance(outcome, CoolingDown):
            assert current and phase is Phase.PLAYING
            wait = model.last_move[player.id] + self.config.game_cooldown_s - self.now
            retry_after = outcome.data["retry_after_s"]
            assert wait > 0 and retry_after >= wait
            return
        assert isinstance(outcome, MoveResult), outcome
        moved = outcome
        assert current and phase is Phase.PLAYING
        assert self.now >= model.last_move.get(player.id, -1e18) + self.config.game_cooldown_s
        assert moved.action is action
        if action is Action.SPECIAL:
            assert moved.points == 0 or 50 <= moved.points <= 100
        else:
            assert moved.points in RANGES[action]
        model.award(player.id, moved.points)
        model.last_move[player.id] = self.now
        assert moved.score == model.scores[player.id]
        assert moved.won == (moved.score >= self.config.game_target_score)
        model.finished = moved.won
        if moved.won:
            model.won_at = self.now
            event("a player reached the target")

    @rule(player=players)
    def move_with_a_wrong_token(self, player: PlayerRecord) -> None:
        with pytest.raises(BadCredentials):
            self.run(self.store.move(player.id, player.token + "x", Action.ATTACK))

    @rule(seconds=st.sampled_from([0.25, 0.5, 1.0, 2.0, 15.0]))
    def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)
        # Only waiting moves the clock, so this is where a finished round can become over.
        finished_at = self.model.finished_at(self.now)
        if finished_at is not None and self.now >= finished_at + self.config.game_results_s:
            event("the next round began on its own")
            self.model = RoundModel(number=self.model.number + 1)

    @precondition(lambda self: self.model.phase(self.now) is Phase.FINISHED)
    @rule()
    def new_round(self) -> None:
        event("a new round" + (" after time ran out" if not self.model.finished else ""))
        state = self.run(self.store.new_round())
        self.model = RoundModel(number=self.model.number + 1)
        assert (state.round, state.phase, state.players) == (self.model.number, Phase.WAITING, 0)

    @invariant()
    def scores_are_the_sum_of_the_points_awarded(self) -> None:
        for player, score in self.model.scores.items():
            status = self.run(self.store.status(player))
            assert (status.player_id, status.score) == (player, score)

    @invariant()
    def the_leaderboard_is_the_naive_sort(self) -> None:
        board = self.run(self.store.leaderboard(self.config.game_max_players))
        # Names are unique in a round, so they identify the players here.
        assert [standing.name for standing in board] == [
            self.model.names[player] for player in self.model.order()
        ]
        assert [standing.rank for standing in board] == list(range(1, len(board) + 1))

    @invariant()
    def the_phase_follows_the_rules(self) -> None:
        state = self.run(self.store.state())
        assert (state.round, state.phase) == (self.model.number, self.model.phase(self.now))
        assert state.players == len(self.model.scores)
        winners = [s for s in self.model.scores.values() if s >= self.config.game_target_score]
        assert len(winners) <= 1
        if winners:
            assert state.winner is not None and state.winner.score == winners[0]
