"""The GameStore contract on fair shares: how many seats of a round one caller may hold.

Each player records the principal id that joined it (every anonymous caller is one,
"anonymous"). One id has at most ``game_max_seats_per_owner`` players in a round; past it
``join`` raises ``QuotaExceeded`` with ``resource``, ``limit`` and ``held``. Another caller is
unaffected, and the next round frees every seat. The round's own cap stays ``RoundFull``.
A new backend passes this by joining BACKENDS.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.clock import ManualClock
from app.game.errors import NameTaken, RoundFull
from app.game.memory import MemoryGameStore
from app.game.models import Action, Phase
from app.game.redis import RedisGameStore
from app.game.store import GameStore
from app.rpc.access import ANONYMOUS, Principal
from app.rpc.errors import QuotaExceeded
from app.stores import Backend, StoreContext
from tests.helpers.backends import on_redis, opened

Factory = Callable[[StoreContext], Backend]
OpenGame = Callable[..., Awaitable[GameStore]]

BACKENDS = [pytest.param(MemoryGameStore, id="memory"), on_redis(RedisGameStore)]

ALICE = Principal("key:alice", "alice", frozenset({"game"}))
BOB = Principal("key:bob", "bob", frozenset({"game"}))
ROOT = Principal("key:root", "root", frozenset({"admin"}))
QUOTA = 3


def over(held: int, limit: int = QUOTA) -> dict[str, object]:
    return {"resource": "seats", "limit": limit, "held": held}


async def seat(game: GameStore, caller: Principal, count: int = QUOTA) -> None:
    for n in range(count):
        await game.join(caller, f"{caller.name} {n}")


@pytest.mark.parametrize("caller", [ALICE, ANONYMOUS, ROOT], ids=["key", "anonymous", "admin"])
async def test_one_caller_holds_at_most_its_seats(open_game: OpenGame, caller: Principal) -> None:
    game = await open_game(game_max_seats_per_owner=QUOTA)
    await seat(game, caller)
    with pytest.raises(QuotaExceeded) as caught:
        await game.join(caller, "one more")
    assert caught.value.code == -32006
    assert caught.value.data == over(QUOTA)
    assert (await game.state()).players == QUOTA


async def test_another_caller_is_unaffected(open_game: OpenGame) -> None:
    game = await open_game(game_max_seats_per_owner=QUOTA)
    await seat(game, ALICE)
    with pytest.raises(QuotaExceeded):
        await game.join(ALICE, "alice again")
    await seat(game, BOB)
    await seat(game, ANONYMOUS)
    assert (await game.state()).players == 3 * QUOTA
    # A refused name is no seat taken: bob's names are his own, and the refusal took none.
    with pytest.raises(NameTaken):
        await game.join(ALICE, "bob 0")
    with pytest.raises(QuotaExceeded) as caught:
        await game.join(ALICE, "alice again")
    assert caught.value.data == over(QUOTA)


async def test_the_next_round_frees_every_seat(open_game: OpenGame, clock: ManualClock) -> None:
    game = await open_game(game_max_seats_per_owner=2, game_round_s=60.0, game_results_s=10.0)
    await seat(game, ALICE, 2)
    clock.advance(60 + 10)  # the round ran out of time, and its result has been up
    await seat(game, ALICE, 2)
    state = await game.state()
    assert (state.round, state.players) == (2, 2)
    with pytest.raises(QuotaExceeded):
        await game.join(ALICE, "third")
    await game.new_round()  # an admin's new round frees them too
    await seat(game, ALICE, 2)


async def test_the_quota_is_checked_before_the_round_cap(open_game: OpenGame) -> None:
    game = await open_game(game_max_seats_per_owner=2, game_max_players=3)
    await seat(game, ALICE, 2)
    await seat(game, BOB, 1)
    with pytest.raises(QuotaExceeded) as caught:  # alice's own quota: what she can act on
        await game.join(ALICE, "third")
    assert caught.value.data == over(2, limit=2)
    with pytest.raises(RoundFull):  # bob is within his, but the round is full
        await game.join(BOB, "second")


async def test_seats_play_like_any_other(open_game: OpenGame) -> None:
    game = await open_game(game_max_seats_per_owner=2, game_target_score=10**9)
    await game.join(ALICE, "Ada")
    grace = await game.join(BOB, "Grace")
    assert grace.phase is Phase.PLAYING
    moved = await game.move(grace.player_id, grace.player_token, Action.ATTACK)
    assert moved.score == moved.points


CALLERS = [ALICE, BOB, ANONYMOUS]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    joins=st.lists(st.sampled_from(range(len(CALLERS))), max_size=30),
    quota=st.integers(1, 4),
    room=st.integers(2, 9),
)
async def test_joins_match_a_model_of_seats(
    backend: Factory, joins: list[int], quota: int, room: int
) -> None:
    """No caller passes its quota, the round never passes its cap, and each refusal fits."""
    seats = dict.fromkeys(range(len(CALLERS)), 0)
    async with opened(
        backend,
        ManualClock(),
        game_max_seats_per_owner=quota,
        game_max_players=room,
        game_min_players=2,
        game_seed=1,
    ) as game:
        assert isinstance(game, GameStore)
        for n, who in enumerate(joins):
            caller, name = CALLERS[who], f"player {n}"
            if seats[who] == quota:
                with pytest.raises(QuotaExceeded) as caught:
                    await game.join(caller, name)
                assert caught.value.data == over(quota, limit=quota)
            elif sum(seats.values()) == room:
                with pytest.raises(RoundFull):
                    await game.join(caller, name)
            else:
                await game.join(caller, name)
                seats[who] += 1
        assert (await game.state()).players == sum(seats.values())
