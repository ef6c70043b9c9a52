"""The game's metrics, on every backend: players in the round in play, and rounds begun, as
rounds roll over on their own and on request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from app.clock import ManualClock
from app.game.memory import MemoryGameStore
from app.game.redis import RedisGameStore
from app.game.store import GameStore
from app.rpc.access import ANONYMOUS
from tests.helpers.backends import on_redis
from tests.helpers.samples import measure, value

OpenGame = Callable[..., Awaitable[GameStore]]
BACKENDS = [pytest.param(MemoryGameStore, id="memory"), on_redis(RedisGameStore)]


async def players_and_rounds(game: GameStore) -> tuple[float, float]:
    found = await measure(game)
    return value(found, "rpc_game_active_players"), value(found, "rpc_game_rounds_total")


async def test_players_in_the_round_are_counted_until_the_next_round(
    open_game: OpenGame, clock: ManualClock
) -> None:
    game = await open_game(game_round_s=60.0, game_results_s=30.0)
    assert await players_and_rounds(game) == (0, 1)
    for name in ("Ada", "Grace", "Linus"):
        await game.join(ANONYMOUS, name)
    assert await players_and_rounds(game) == (3, 1)
    clock.advance(60)  # it finishes on time; its result stays up, with its players
    assert await players_and_rounds(game) == (3, 1)
    clock.advance(30)  # the next round begins, empty
    assert await players_and_rounds(game) == (0, 2)
    await game.join(ANONYMOUS, "Ada")
    await game.new_round()
    assert await players_and_rounds(game) == (0, 3)
