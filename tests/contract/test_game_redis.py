"""What only the Redis game store shows: replicas sharing one round, a restart keeping it,
each operation being one script call, and a seed drawing just what memory draws.

The GameStore contract suites run on Redis too; these add what one store in one process
cannot show.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import suppress
from typing import Any

import pytest
import redis.asyncio as redis
from redis.asyncio.client import Monitor

from app.clock import ManualClock
from app.game.errors import CoolingDown, NameTaken, WrongPhase
from app.game.memory import MemoryGameStore
from app.game.models import Action, MoveResult, Phase
from app.game.players import digest
from app.game.redis import RedisGameStore
from app.game.store import GameStore
from app.rpc.access import ANONYMOUS
from app.stores import Backend, StoreContext
from tests.helpers import redis_server
from tests.helpers.backends import OnRedis, on_redis, opened

pytestmark = redis_server.needs_redis

ON_REDIS = OnRedis(RedisGameStore)
BACKENDS = [on_redis(RedisGameStore)]
"""Only Redis: ``open_game`` (tests/contract/conftest.py) opens these stores."""
OpenGame = Callable[..., Awaitable[GameStore]]


@pytest.fixture
async def probe() -> AsyncIterator[redis.Redis]:
    """A client of its own on the tests' Redis, for looking at it from outside the store."""
    client = redis.Redis.from_url(redis_server.shared().url)
    yield client
    await client.aclose()


async def test_of_two_replicas_racing_to_the_target_exactly_one_wins(
    open_game: OpenGame,
) -> None:
    prefix = redis_server.fresh_prefix()
    one = await open_game(redis_prefix=prefix, game_target_score=100)
    two = await open_game(redis_prefix=prefix, game_target_score=100, game_seed=8)
    ada, grace = await one.join(ANONYMOUS, "Ada"), await two.join(ANONYMOUS, "Grace")
    # Each replica sends both players' moves: 10 attacks always reach 100, so all race.
    racers = [(store, player) for store in (one, two) for player in (ada, grace)] * 8
    outcomes = await asyncio.gather(
        *(store.move(p.player_id, p.player_token, Action.ATTACK) for store, p in racers),
        return_exceptions=True,
    )
    wins = [o for o in outcomes if isinstance(o, MoveResult) and o.won]
    assert len(wins) == 1
    assert all(isinstance(o, MoveResult | WrongPhase) for o in outcomes)
    for player in (ada, grace):
        accepted = [
            o
            for (_, p), o in zip(racers, outcomes, strict=True)
            if p is player and isinstance(o, MoveResult)
        ]
        for store in (one, two):  # both replicas see one round, and no point lost
            assert (await store.status(player.player_id)).score == sum(o.points for o in accepted)
    states = [await one.state(), await two.state()]
    assert states[0] == states[1] and states[0].phase is Phase.FINISHED


async def test_a_restart_keeps_the_round_its_players_scores_and_tokens(
    clock: ManualClock,
) -> None:
    settings: dict[str, Any] = {"redis_prefix": redis_server.fresh_prefix(), "game_cooldown_s": 2.0}
    async with opened(ON_REDIS, clock, **settings) as game:
        assert isinstance(game, GameStore)
        await game.new_round()
        ada, grace = await game.join(ANONYMOUS, "Ada"), await game.join(ANONYMOUS, "Grace")
        moved = await game.move(grace.player_id, grace.player_token, Action.ATTACK)
        before = (await game.state(), await game.leaderboard(5), await game.status(ada.player_id))
    clock.advance(1)
    async with opened(ON_REDIS, clock, **settings) as game:
        assert isinstance(game, GameStore)
        state, top = await game.state(), await game.leaderboard(5)
        status = await game.status(ada.player_id)
        assert (state.round, state.phase, state.players) == (2, Phase.PLAYING, 2)
        assert before[0].time_left_s is not None
        assert state.time_left_s == before[0].time_left_s - 1  # the same deadline
        assert (top, status) == before[1:]
        with pytest.raises(CoolingDown):  # the last move's time is kept too
            await game.move(grace.player_id, grace.player_token, Action.DEFEND)
        clock.advance(1)
        again = await game.move(grace.player_id, grace.player_token, Action.DEFEND)
        assert again.score == moved.points + again.points
        await game.move(ada.player_id, ada.player_token, Action.DEFEND)
        with pytest.raises(NameTaken):
            await game.join(ANONYMOUS, "ada")


async def test_the_store_keeps_a_digest_of_each_token_never_the_token(
    open_game: OpenGame, probe: redis.Redis
) -> None:
    prefix = redis_server.fresh_prefix()
    game = await open_game(redis_prefix=prefix)
    tokens = [(await game.join(ANONYMOUS, name)).player_token for name in ("Ada", "Grace")]
    stored: list[Any] = []
    async for key in probe.scan_iter(match=f"{{{prefix}:game}}:*"):
        if await probe.type(key) == b"hash":
            stored += [part for pair in (await probe.hgetall(key)).items() for part in pair]
        else:
            stored += await probe.zrange(key, 0, -1)
    assert not any(token.encode() in value for token in tokens for value in stored)
    assert {digest(token).hex().encode() for token in tokens} <= set(stored)


async def sent(probe: redis.Redis, monitor: Monitor, operation: Awaitable[object]) -> list[str]:
    """The commands ``operation`` sent to Redis, as MONITOR sees them (not its script's)."""
    with suppress(WrongPhase, CoolingDown, NameTaken):
        await operation
    marker = uuid.uuid4().hex
    await probe.echo(marker)  # MONITOR shows it after everything the operation sent
    commands = []
    while (seen := await monitor.next_command())["command"] != f"ECHO {marker}":
        if seen["client_type"] != "lua":
            commands.append(seen["command"].split(" ", 1)[0])
    return commands


async def test_each_operation_is_one_script_call(
    open_game: OpenGame, clock: ManualClock, probe: redis.Redis
) -> None:
    game = await open_game(game_target_score=100, game_results_s=5.0)
    ada = await game.join(ANONYMOUS, "Ada")

    async def win() -> None:
        while not (await game.move(ada.player_id, ada.player_token, Action.ATTACK)).won:
            pass

    calls: dict[str, list[str]] = {}
    async with probe.monitor() as monitor:
        await sent(probe, monitor, asyncio.sleep(0))  # the probe's own connection, once
        calls["join"] = await sent(probe, monitor, game.join(ANONYMOUS, "Grace"))
        calls["refused join"] = await sent(probe, monitor, game.join(ANONYMOUS, "ADA"))
        move = game.move(ada.player_id, ada.player_token, Action.ATTACK)
        calls["move"] = await sent(probe, monitor, move)
        calls["status"] = await sent(probe, monitor, game.status(ada.player_id))
        calls["leaderboard"] = await sent(probe, monitor, game.leaderboard(5))
        calls["state"] = await sent(probe, monitor, game.state())
        await sent(probe, monitor, win())
        move = game.move(ada.player_id, ada.player_token, Action.ATTACK)
        calls["refused move"] = await sent(probe, monitor, move)
        clock.advance(5)
        calls["state, rolling over"] = await sent(probe, monitor, game.state())
        calls["new_round"] = await sent(probe, monitor, game.new_round())
    assert calls == {operation: ["EVALSHA"] for operation in calls}


async def test_with_a_seed_a_store_draws_what_memory_draws() -> None:
    # A refused join or move draws nothing on either backend, so the two stay in step.
    async def play(factory: Callable[[StoreContext], Backend]) -> list[object]:
        clock = ManualClock()
        async with opened(factory, clock, game_seed=3, game_cooldown_s=1.0) as game:
            assert isinstance(game, GameStore)
            drawn: list[object] = []
            for name in ("Ada", "ada", "Grace", "Linus"):
                try:
                    drawn.append((await game.join(ANONYMOUS, name)).emoji)
                except NameTaken:
                    drawn.append("taken")
            ada = await game.join(ANONYMOUS, "Barbara")
            for action in [Action.SPECIAL, Action.ATTACK, Action.DEFEND] * 6:
                try:
                    drawn.append((await game.move(ada.player_id, ada.player_token, action)).points)
                except CoolingDown:
                    drawn.append("cooling down")
                clock.advance(0.5)
            return drawn

    drawn = await play(ON_REDIS)
    assert drawn == await play(MemoryGameStore)
    assert "taken" in drawn and "cooling down" in drawn
