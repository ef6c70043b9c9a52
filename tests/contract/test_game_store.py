"""The GameStore contract: what every backend of game.* guarantees, on a ManualClock.

A round waits for enough players, plays against the clock, and finishes at the target score
or the deadline; of players racing to the target exactly one wins, no move counts after the
end, and each player waits out a cooldown. A new backend passes this by joining BACKENDS.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from app.clock import ManualClock
from app.game.errors import (
    BadCredentials,
    CoolingDown,
    NameTaken,
    PlayerNotFound,
    RoundFull,
    WrongPhase,
)
from app.game.memory import MemoryGameStore
from app.game.models import Action, FinishReason, Joined, MoveResult, Phase
from app.game.redis import RedisGameStore
from app.game.store import GameStore
from app.rpc.access import ANONYMOUS
from app.stores import Backend, StoreContext
from tests.helpers.backends import on_redis
from tests.helpers.game_machine import RULES, GameMachine

Factory = Callable[[StoreContext], Backend]
OpenGame = Callable[..., Awaitable[GameStore]]

BACKENDS = [pytest.param(MemoryGameStore, id="memory"), on_redis(RedisGameStore)]


async def two_players(game: GameStore) -> tuple[Joined, Joined]:
    return await game.join(ANONYMOUS, "Ada"), await game.join(ANONYMOUS, "Grace")


async def play(game: GameStore, player: Joined, action: Action = Action.ATTACK) -> MoveResult:
    return await game.move(player.player_id, player.player_token, action)


async def test_the_round_waits_for_enough_players_then_plays_against_the_clock(
    open_game: OpenGame, clock: ManualClock
) -> None:
    game = await open_game(game_min_players=3, game_round_s=60.0)
    ada = await game.join(ANONYMOUS, "Ada")
    assert ada.phase is Phase.WAITING and ada.message.endswith("Waiting for 2 more players.")
    clock.advance(1000)  # time spent waiting does not count against the round
    await game.join(ANONYMOUS, "Grace")
    state = await game.state()
    assert (state.phase, state.players, state.time_left_s) == (Phase.WAITING, 2, None)
    third = await game.join(ANONYMOUS, "Linus")
    assert third.phase is Phase.PLAYING and third.message.endswith("make your move!")
    clock.advance(15)
    assert (await game.state()).time_left_s == 45.0
    await game.join(ANONYMOUS, "Late")  # joining mid-round is allowed
    assert (await game.state()).players == 4


async def test_time_up_finishes_the_round_and_the_leader_wins(
    open_game: OpenGame, clock: ManualClock
) -> None:
    game = await open_game(game_round_s=60.0)
    ada, grace = await two_players(game)
    moved = await play(game, grace)
    clock.advance(59.999)
    assert (await game.state()).phase is Phase.PLAYING
    clock.advance(0.001)
    state = await game.state()
    assert (state.phase, state.finish_reason, state.time_left_s) == (
        Phase.FINISHED,
        FinishReason.TIME,
        0.0,
    )
    assert state.winner is not None and state.winner.name == "Grace"
    assert state.winner.score == moved.points
    with pytest.raises(WrongPhase) as caught:
        await play(game, ada)
    assert caught.value.data == {"phase": "finished", "allowed": ["playing"]}
    with pytest.raises(WrongPhase):
        await game.join(ANONYMOUS, "Linus")


async def test_a_round_nobody_scored_in_has_no_winner(
    open_game: OpenGame, clock: ManualClock
) -> None:
    game = await open_game(game_round_s=5.0)
    await two_players(game)
    clock.advance(5)
    state = await game.state()
    assert state.phase is Phase.FINISHED and state.winner is None


async def test_a_move_past_the_deadline_is_refused_even_if_nobody_looked(
    open_game: OpenGame, clock: ManualClock
) -> None:
    game = await open_game(game_round_s=5.0)
    ada, _ = await two_players(game)
    clock.advance(5)
    with pytest.raises(WrongPhase):
        await play(game, ada)


async def test_reaching_the_target_wins_and_ends_the_round(open_game: OpenGame) -> None:
    game = await open_game(game_target_score=100)
    ada, grace = await two_players(game)
    total = 0
    while True:
        moved = await play(game, ada)
        total += moved.points
        assert moved.score == total
        if moved.won:
            break
    assert total >= 100 and moved.rank == 1
    state = await game.state()
    assert (state.phase, state.finish_reason) == (Phase.FINISHED, FinishReason.TARGET)
    assert state.winner is not None and state.winner.name == "Ada"
    for player in (ada, grace):
        with pytest.raises(WrongPhase):
            await play(game, player, Action.DEFEND)


async def test_of_two_players_racing_to_the_target_exactly_one_wins(open_game: OpenGame) -> None:
    # Attacks earn at least 10, so 10 attacks always reach 100: both send more than enough.
    game = await open_game(game_target_score=100)
    ada, grace = await two_players(game)
    racers = [ada, grace] * 15
    outcomes = await asyncio.gather(*(play(game, p) for p in racers), return_exceptions=True)
    wins = [o for o in outcomes if isinstance(o, MoveResult) and o.won]
    assert len(wins) == 1
    after = outcomes[outcomes.index(wins[0]) + 1 :]
    assert after and all(isinstance(o, WrongPhase) for o in after)
    for player in (ada, grace):
        accepted = [
            o
            for p, o in zip(racers, outcomes, strict=True)
            if p is player and isinstance(o, MoveResult)
        ]
        # No point lost, none accepted after the end: the accepted points add up to the score.
        status = await game.status(player.player_id)
        assert sum(o.points for o in accepted) == status.score


async def test_moves_are_refused_while_waiting(open_game: OpenGame) -> None:
    game = await open_game()
    ada = await game.join(ANONYMOUS, "Ada")
    with pytest.raises(WrongPhase) as caught:
        await play(game, ada)
    assert caught.value.data["phase"] == "waiting"


@pytest.mark.parametrize(
    ("action", "low", "high"),
    [(Action.ATTACK, 10, 50), (Action.DEFEND, 5, 20), (Action.SPECIAL, 50, 100)],
)
async def test_points_stay_in_range(
    open_game: OpenGame, action: Action, low: int, high: int
) -> None:
    game = await open_game(game_target_score=10**9)
    ada, _ = await two_players(game)
    points = [(await play(game, ada, action)).points for _ in range(400)]
    landed = [p for p in points if p]
    assert all(low <= p <= high for p in landed)
    assert min(landed) == low and max(landed) == high
    if action is Action.SPECIAL:
        misses = points.count(0)
        assert 120 < misses < 280  # half the time, give or take
    else:
        assert len(landed) == len(points)


async def test_the_seed_makes_rounds_reproducible(open_game: OpenGame) -> None:
    async def play_round(seed: int) -> list[int]:
        game = await open_game(game_seed=seed, game_target_score=10**9)
        ada, _ = await two_players(game)
        return [
            (await play(game, ada, action)).points
            for action in [Action.ATTACK, Action.SPECIAL, Action.DEFEND] * 10
        ]

    assert await play_round(1) == await play_round(1)
    assert await play_round(1) != await play_round(2)


async def test_a_level_every_hundred_points(open_game: OpenGame) -> None:
    game = await open_game(game_target_score=10**9)
    ada, _ = await two_players(game)
    score = 0
    for _ in range(60):
        moved = await play(game, ada)
        assert moved.level == moved.score // 100 + 1
        assert moved.leveled_up == (moved.score // 100 > score // 100)
        score = moved.score


async def test_the_cooldown_is_enforced_with_the_time_left(
    open_game: OpenGame, clock: ManualClock
) -> None:
    game = await open_game(game_cooldown_s=2.0)
    ada, grace = await two_players(game)
    await play(game, ada)
    await play(game, grace)  # cooldowns are per player
    clock.advance(0.5)
    with pytest.raises(CoolingDown) as caught:
        await play(game, ada, Action.DEFEND)
    assert caught.value.data == {"retry_after_s": 1.5, "cooldown_s": 2.0}
    clock.advance(1.5)
    await play(game, ada, Action.DEFEND)


async def test_a_refused_move_does_not_restart_the_cooldown(
    open_game: OpenGame, clock: ManualClock
) -> None:
    game = await open_game(game_cooldown_s=2.0)
    ada, _ = await two_players(game)
    await play(game, ada)
    clock.advance(1)
    with pytest.raises(CoolingDown):
        await play(game, ada)
    clock.advance(1)
    await play(game, ada)


async def test_tokens_are_long_random_and_shown_only_at_join(open_game: OpenGame) -> None:
    game = await open_game()
    ada, grace = await two_players(game)
    raw = base64.urlsafe_b64decode(ada.player_token + "=" * (-len(ada.player_token) % 4))
    assert len(raw) * 8 >= 128
    assert ada.player_token != grace.player_token and ada.player_id != grace.player_id
    await play(game, ada)
    answers = [await game.status(ada.player_id), await game.leaderboard(5), await game.state()]
    assert ada.player_token not in repr(answers)


async def test_a_wrong_token_and_an_unknown_player_look_the_same(open_game: OpenGame) -> None:
    game = await open_game()
    ada, grace = await two_players(game)
    attempts = [
        (ada.player_id, grace.player_token),
        (ada.player_id, ada.player_token[:-1]),
        ("p_nobody", ada.player_token),
        ("", ""),
    ]
    errors = []
    for player_id, token in attempts:
        with pytest.raises(BadCredentials) as caught:
            await game.move(player_id, token, Action.ATTACK)
        errors.append(caught.value.to_error())
    assert errors == [{"code": 4001, "message": "Unknown player or wrong token"}] * len(attempts)


@pytest.mark.parametrize("taken", ["ada", "ADA", "Ａｄａ", "AdA"])
async def test_names_are_unique_ignoring_case_and_lookalike_forms(
    open_game: OpenGame, taken: str
) -> None:
    game = await open_game()
    await game.join(ANONYMOUS, "Ada")
    with pytest.raises(NameTaken) as caught:
        await game.join(ANONYMOUS, taken)
    assert caught.value.data == {"name": taken}
    await game.join(ANONYMOUS, "Ada Lovelace")


async def test_the_round_has_a_size_limit(open_game: OpenGame) -> None:
    game = await open_game(game_max_players=3)
    for name in ("a", "b", "c"):
        await game.join(ANONYMOUS, name)
    with pytest.raises(RoundFull) as caught:
        await game.join(ANONYMOUS, "d")
    assert caught.value.data == {"max_players": 3}
    assert (await game.state()).players == 3


async def test_status_and_leaderboard_rank_players(open_game: OpenGame) -> None:
    game = await open_game(game_target_score=10**9)
    ada, grace = await two_players(game)
    await play(game, grace)
    top = await game.leaderboard(5)
    assert [(p.name, p.rank, p.medal) for p in top] == [("Grace", 1, "🥇"), ("Ada", 2, "🥈")]
    assert (await game.status(ada.player_id)).rank == 2
    with pytest.raises(PlayerNotFound):
        await game.status("p_nobody")


async def test_a_new_round_starts_empty_and_forgets_the_old_players(open_game: OpenGame) -> None:
    game = await open_game()
    ada, _ = await two_players(game)
    state = await game.new_round()
    assert (state.round, state.phase, state.players, state.winner) == (2, Phase.WAITING, 0, None)
    with pytest.raises(PlayerNotFound):
        await game.status(ada.player_id)
    with pytest.raises(BadCredentials):
        await play(game, ada)
    await game.join(ANONYMOUS, "Ada")  # the name is free again


async def test_min_players_above_max_players_is_refused_at_start(open_game: OpenGame) -> None:
    with pytest.raises(ValueError, match="game_min_players"):
        await open_game(game_min_players=5, game_max_players=4)


@pytest.mark.parametrize(
    ("cooldown_s", "max_examples"),
    [
        pytest.param(1.0, 150, id="with-a-cooldown"),
        # Where one player's moves at once may all be accepted: none may be lost.
        pytest.param(0.0, 75, id="without-a-cooldown"),
    ],
)
def test_the_store_matches_its_model(
    backend: Factory, cooldown_s: float, max_examples: int
) -> None:
    rules = {**RULES, "game_cooldown_s": cooldown_s}
    run_state_machine_as_test(
        # Any zero-argument factory will do, as hypothesis documents; its annotation says type.
        lambda: GameMachine(backend, **rules),  # type: ignore[arg-type]
        settings=settings(max_examples=max_examples, stateful_step_count=60, deadline=None),
    )
