"""The GameStore contract on rounds rolling over, on a ManualClock.

A finished round, by target or by time, stays readable as it ended for ``game_results_s``;
the first operation from then on finds the next round, numbered one more, waiting and
empty, with no admin and no timer. A new backend passes this by joining BACKENDS.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from app.clock import ManualClock
from app.game.errors import BadCredentials, PlayerNotFound, RoundFull, WrongPhase
from app.game.memory import MemoryGameStore
from app.game.models import Action, FinishReason, Joined, Phase
from app.game.redis import RedisGameStore
from app.game.store import GameStore
from app.rpc.access import ANONYMOUS
from app.stores import Backend, StoreContext
from tests.helpers.backends import on_redis

Factory = Callable[[StoreContext], Backend]
OpenGame = Callable[..., Awaitable[GameStore]]

BACKENDS = [pytest.param(MemoryGameStore, id="memory"), on_redis(RedisGameStore)]


async def win(game: GameStore) -> tuple[Joined, Joined]:
    """Ada and Grace join, and Ada attacks until she reaches the target."""
    ada, grace = await game.join(ANONYMOUS, "Ada"), await game.join(ANONYMOUS, "Grace")
    while not (await game.move(ada.player_id, ada.player_token, Action.ATTACK)).won:
        pass
    return ada, grace


async def test_a_won_round_stays_up_for_results_s_then_the_next_begins(
    open_game: OpenGame, clock: ManualClock
) -> None:
    game = await open_game(game_target_score=100, game_results_s=30.0)
    ada, grace = await win(game)
    clock.advance(29.999)
    state = await game.state()
    assert (state.round, state.phase, state.finish_reason) == (
        1,
        Phase.FINISHED,
        FinishReason.TARGET,
    )
    assert state.winner is not None and state.winner.name == "Ada"
    assert [s.name for s in await game.leaderboard(5)] == ["Ada", "Grace"]
    assert (await game.status(grace.player_id)).rank == 2
    with pytest.raises(WrongPhase) as caught:
        await game.join(ANONYMOUS, "Linus")
    assert caught.value.data == {
        "phase": "finished",
        "allowed": ["waiting", "playing"],
        "retry_after_s": 0.001,
    }
    clock.advance(0.001)
    state = await game.state()
    assert (state.round, state.phase, state.players) == (2, Phase.WAITING, 0)
    assert (state.finish_reason, state.winner, state.time_left_s) == (None, None, None)
    with pytest.raises(PlayerNotFound) as missing:
        await game.status(ada.player_id)
    assert missing.value.data == {"player_id": ada.player_id, "round": 2}
    with pytest.raises(BadCredentials):
        await game.move(ada.player_id, ada.player_token, Action.ATTACK)
    assert (await game.join(ANONYMOUS, "Ada")).round == 2  # the name is free again


async def test_a_round_out_of_time_rolls_over_once_even_if_nobody_looked(
    open_game: OpenGame, clock: ManualClock
) -> None:
    game = await open_game(game_round_s=60.0, game_results_s=10.0)
    await game.join(ANONYMOUS, "Ada")
    await game.join(ANONYMOUS, "Grace")
    clock.advance(69.999)  # the deadline, then the results, dated from the deadline
    with pytest.raises(WrongPhase) as caught:
        await game.join(ANONYMOUS, "Linus")
    assert caught.value.data["retry_after_s"] == 0.001
    clock.advance(10_000)
    # The first call, a join, finds the next round: one more, however long it has been.
    joined = await game.join(ANONYMOUS, "Linus")
    assert (joined.round, joined.phase) == (2, Phase.WAITING)
    assert ((await game.state()).round, (await game.state()).players) == (2, 1)


async def test_a_waiting_round_never_rolls_over(open_game: OpenGame, clock: ManualClock) -> None:
    game = await open_game(game_results_s=0.0)
    ada = await game.join(ANONYMOUS, "Ada")
    clock.advance(10**6)
    state = await game.state()
    assert (state.round, state.phase, state.players) == (1, Phase.WAITING, 1)
    assert (await game.status(ada.player_id)).name == "Ada"


async def test_new_round_is_the_next_number_whether_or_not_the_last_is_over(
    open_game: OpenGame, clock: ManualClock
) -> None:
    game = await open_game(game_target_score=100, game_results_s=5.0)
    await win(game)
    assert (await game.new_round()).round == 2  # during the results
    await win(game)
    clock.advance(5)
    assert (await game.new_round()).round == 3  # after them, with nobody looking
    clock.advance(1000)
    assert (await game.state()).round == 3


async def test_with_no_results_time_the_next_call_finds_the_next_round(
    open_game: OpenGame,
) -> None:
    game = await open_game(game_target_score=100, game_results_s=0.0)
    await win(game)
    state = await game.state()
    assert (state.round, state.phase, state.players) == (2, Phase.WAITING, 0)


async def test_a_full_round_plays_finishes_and_rolls_over_to_an_open_one(
    open_game: OpenGame, clock: ManualClock
) -> None:
    game = await open_game(
        game_max_players=3, game_target_score=100, game_round_s=60.0, game_results_s=10.0
    )
    ada, _ = await game.join(ANONYMOUS, "Ada"), await game.join(ANONYMOUS, "Grace")
    await game.join(ANONYMOUS, "Linus")
    with pytest.raises(RoundFull) as full:
        await game.join(ANONYMOUS, "Ken")
    assert full.value.data == {"max_players": 3}
    clock.advance(1)
    while not (await game.move(ada.player_id, ada.player_token, Action.ATTACK)).won:
        pass
    with pytest.raises(WrongPhase) as caught:  # the result is up: it says when the next opens
        await game.join(ANONYMOUS, "Ken")
    assert caught.value.data["retry_after_s"] == 10.0
    clock.advance(10)
    joined = await game.join(ANONYMOUS, "Ken")
    assert (joined.round, joined.phase) == (2, Phase.WAITING)


async def test_a_full_round_nobody_plays_in_still_ends_on_time_and_rolls_over(
    open_game: OpenGame, clock: ManualClock
) -> None:
    # A full round cannot take anyone until it ends, but game_round_s bounds that wait.
    game = await open_game(game_max_players=2, game_round_s=60.0, game_results_s=10.0)
    await game.join(ANONYMOUS, "Ada")
    await game.join(ANONYMOUS, "Grace")
    clock.advance(59)
    with pytest.raises(RoundFull):
        await game.join(ANONYMOUS, "Linus")
    clock.advance(1)
    state = await game.state()
    assert (state.phase, state.finish_reason, state.winner) == (
        Phase.FINISHED,
        FinishReason.TIME,
        None,
    )
    clock.advance(10)
    assert (await game.join(ANONYMOUS, "Linus")).round == 2
