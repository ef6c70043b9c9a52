"""A model-based test of the game store: interleaved joins, moves (some at once), waits and
new rounds.

A plain model replays every accepted move. After each step the store must agree with it:
each score is the sum of the points awarded, the leaderboard is the naive sort, the phase
is what the rules say, and every refusal is the one the model expects.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field

import pytest
from hypothesis import event, settings
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
from app.game.players import BadCredentials, name_key
from app.game.round import CoolingDown, Moved, NameTaken, Phase, RoundFull, WrongPhase
from app.game.rules import Action
from app.game.store import GameStore
from app.settings import Settings

RULES = Settings(
    game_min_players=2,
    game_max_players=5,
    game_target_score=120,
    game_round_s=60.0,
    game_cooldown_s=1.0,
    game_seed=0,
)
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
    scores: dict[str, int] = field(default_factory=dict)
    reached: dict[str, int] = field(default_factory=dict)
    last_move: dict[str, float] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)
    tick: int = 0

    def phase(self, now: float) -> Phase:
        if self.finished or (self.ends_at is not None and now >= self.ends_at):
            return Phase.FINISHED
        return Phase.PLAYING if self.ends_at is not None else Phase.WAITING

    def award(self, player: str, points: int) -> None:
        if points:
            self.scores[player] += points
            self.reached[player] = self.tick
            self.tick += 1

    def order(self) -> list[str]:
        return sorted(self.scores, key=lambda p: (-self.scores[p], self.reached[p]))


class GameMachine(RuleBasedStateMachine):
    players = Bundle("players")
    game_rules = RULES

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = ManualClock()
        self.store = GameStore(self.game_rules, self.clock)
        self.model = RoundModel()

    def teardown(self) -> None:
        self.loop.close()

    @property
    def now(self) -> float:
        return self.clock.time()

    @rule(target=players, name=st.sampled_from(NAMES))
    def join(self, name: str) -> object:
        model = self.model
        phase = model.phase(self.now)
        try:
            joined = self.loop.run_until_complete(self.store.join(name))
        except WrongPhase:
            assert phase is Phase.FINISHED
            return multiple()
        except NameTaken:
            assert name_key(name) in model.names
            return multiple()
        except RoundFull:
            assert len(model.scores) == self.game_rules.game_max_players
            return multiple()
        assert phase is not Phase.FINISHED and name_key(name) not in model.names
        assert len(model.scores) < self.game_rules.game_max_players
        model.names.add(name_key(name))
        model.scores[joined.player.id] = 0
        model.reached[joined.player.id] = model.tick
        model.tick += 1
        if model.ends_at is None and len(model.scores) >= self.game_rules.game_min_players:
            model.ends_at = self.now + self.game_rules.game_round_s
        return PlayerRecord(joined.player.id, joined.token, name, model.number)

    @rule(player=players, action=st.sampled_from(list(Action)))
    def move(self, player: PlayerRecord, action: Action) -> None:
        try:
            outcome: Moved | BaseException = self.loop.run_until_complete(
                self.store.move(player.id, player.token, action)
            )
        except (BadCredentials, WrongPhase, CoolingDown) as refused:
            outcome = refused
        self.check_move(player, action, outcome)

    @rule(moves=st.lists(st.tuples(players, st.sampled_from(list(Action))), min_size=2, max_size=8))
    def move_at_once(self, moves: list[tuple[PlayerRecord, Action]]) -> None:
        """Moves in flight together (the same player's too): each accepted one counts once."""

        async def together() -> list[Moved | BaseException]:
            return await asyncio.gather(
                *(self.store.move(player.id, player.token, action) for player, action in moves),
                return_exceptions=True,
            )

        outcomes = self.loop.run_until_complete(together())
        if sum(isinstance(outcome, Moved) for outcome in outcomes) > 1:
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
            wait = model.last_move[player.id] + self.game_rules.game_cooldown_s - self.now
            retry_after = outcome.data["retry_after_s"]
            assert wait > 0 and retry_after >= wait
            return
        assert isinstance(outcome, Moved), outcome
        moved = outcome
        assert current and phase is Phase.PLAYING
        assert self.now >= model.last_move.get(player.id, -1e18) + self.game_rules.game_cooldown_s
        if action is Action.SPECIAL:
            assert moved.points == 0 or 50 <= moved.points <= 100
        else:
            assert moved.points in RANGES[action]
        model.award(player.id, moved.points)
        model.last_move[player.id] = self.now
        assert moved.score == model.scores[player.id]
        assert moved.won == (moved.score >= self.game_rules.game_target_score)
        model.finished = moved.won
        if moved.won:
            event("a player reached the target")

    @rule(player=players)
    def move_with_a_wrong_token(self, player: PlayerRecord) -> None:
        with pytest.raises(BadCredentials):
            self.loop.run_until_complete(
                self.store.move(player.id, player.token + "x", Action.ATTACK)
            )

    @rule(seconds=st.sampled_from([0.25, 0.5, 1.0, 2.0, 15.0]))
    def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @precondition(lambda self: self.model.phase(self.now) is Phase.FINISHED)
    @rule()
    def new_round(self) -> None:
        event("a new round" + (" after time ran out" if not self.model.finished else ""))
        state = self.loop.run_until_complete(self.store.new_round())
        self.model = RoundModel(number=self.model.number + 1)
        assert (state.number, state.phase, state.players) == (self.model.number, Phase.WAITING, 0)

    @invariant()
    def scores_are_the_sum_of_the_points_awarded(self) -> None:
        for player, score in self.model.scores.items():
            view = self.loop.run_until_complete(self.store.status(player))
            assert view.score == score

    @invariant()
    def the_leaderboard_is_the_naive_sort(self) -> None:
        board = self.loop.run_until_complete(
            self.store.leaderboard(self.game_rules.game_max_players)
        )
        assert [view.id for view in board] == self.model.order()
        assert [view.rank for view in board] == list(range(1, len(board) + 1))

    @invariant()
    def the_phase_follows_the_rules(self) -> None:
        state = self.loop.run_until_complete(self.store.state())
        assert state.phase is self.model.phase(self.now)
        assert state.players == len(self.model.scores)
        winners = [s for s in self.model.scores.values() if s >= self.game_rules.game_target_score]
        assert len(winners) <= 1
        if winners:
            assert state.winner is not None and state.winner.score == winners[0]


class GameWithoutCooldown(GameMachine):
    """The same, where one player's moves at once may all be accepted: none may be lost."""

    game_rules = dataclasses.replace(RULES, game_cooldown_s=0.0)


GameMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=60, deadline=None)
GameWithoutCooldown.TestCase.settings = settings(
    max_examples=75, stateful_step_count=60, deadline=None
)
test_game_store_matches_its_model = GameMachine.TestCase
test_no_move_is_lost_without_a_cooldown = GameWithoutCooldown.TestCase
