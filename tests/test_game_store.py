"""The game store's operations and the invariants they carry, on a ManualClock."""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

import pytest
from pydantic import ValidationError

from app.clock import ManualClock
from app.game.players import BadCredentials, check_name
from app.game.round import (
    CoolingDown,
    FinishReason,
    NameTaken,
    Phase,
    PlayerNotFound,
    RoundFull,
    WrongPhase,
)
from app.game.rules import Action
from app.game.store import GameStore, JoinOutcome
from app.settings import Settings, load


def make_store(clock: ManualClock | None = None, **overrides: Any) -> GameStore:
    overrides.setdefault("game_seed", 7)
    overrides.setdefault("game_cooldown_s", 0.0)
    return GameStore(dataclasses.replace(Settings(), **overrides), clock or ManualClock())


async def two_players(store: GameStore) -> tuple[JoinOutcome, JoinOutcome]:
    return await store.join("Ada"), await store.join("Grace")


async def test_the_round_waits_for_enough_players_then_plays_against_the_clock() -> None:
    clock = ManualClock()
    store = make_store(clock, game_min_players=3, game_round_s=60.0)
    ada = await store.join("Ada")
    assert (ada.phase, ada.players_needed) == (Phase.WAITING, 2)
    clock.advance(1000)  # time spent waiting does not count against the round
    await store.join("Grace")
    state = await store.state()
    assert (state.phase, state.players, state.time_left_s) == (Phase.WAITING, 2, None)
    third = await store.join("Linus")
    assert (third.phase, third.players_needed) == (Phase.PLAYING, 0)
    clock.advance(15)
    assert (await store.state()).time_left_s == 45.0
    await store.join("Late")  # joining mid-round is allowed
    assert (await store.state()).players == 4


async def test_time_up_finishes_the_round_and_the_leader_wins() -> None:
    clock = ManualClock()
    store = make_store(clock, game_round_s=60.0)
    ada, grace = await two_players(store)
    moved = await store.move(grace.player.id, grace.token, Action.ATTACK)
    clock.advance(59.999)
    assert (await store.state()).phase is Phase.PLAYING
    clock.advance(0.001)
    state = await store.state()
    assert (state.phase, state.finish_reason, state.time_left_s) == (
        Phase.FINISHED,
        FinishReason.TIME,
        0.0,
    )
    assert state.winner is not None and state.winner.name == "Grace"
    assert state.winner.score == moved.points
    with pytest.raises(WrongPhase) as caught:
        await store.move(ada.player.id, ada.token, Action.ATTACK)
    assert caught.value.data == {"phase": "finished", "allowed": ["playing"]}
    with pytest.raises(WrongPhase):
        await store.join("Linus")


async def test_a_round_nobody_scored_in_has_no_winner() -> None:
    clock = ManualClock()
    store = make_store(clock, game_round_s=5.0)
    await two_players(store)
    clock.advance(5)
    state = await store.state()
    assert state.phase is Phase.FINISHED and state.winner is None


async def test_a_move_past_the_deadline_is_refused_even_if_nobody_looked() -> None:
    clock = ManualClock()
    store = make_store(clock, game_round_s=5.0)
    ada, _ = await two_players(store)
    clock.advance(5)
    with pytest.raises(WrongPhase):
        await store.move(ada.player.id, ada.token, Action.ATTACK)


async def test_reaching_the_target_wins_and_ends_the_round() -> None:
    store = make_store(game_target_score=100)
    ada, grace = await two_players(store)
    total = 0
    while True:
        moved = await store.move(ada.player.id, ada.token, Action.ATTACK)
        total += moved.points
        assert moved.score == total
        if moved.won:
            break
    assert total >= 100 and moved.rank == 1
    state = await store.state()
    assert (state.phase, state.finish_reason) == (Phase.FINISHED, FinishReason.TARGET)
    assert state.winner is not None and state.winner.id == ada.player.id
    for player in (ada, grace):
        with pytest.raises(WrongPhase):
            await store.move(player.player.id, player.token, Action.DEFEND)


async def test_moves_are_refused_while_waiting() -> None:
    store = make_store()
    ada = await store.join("Ada")
    with pytest.raises(WrongPhase) as caught:
        await store.move(ada.player.id, ada.token, Action.ATTACK)
    assert caught.value.data["phase"] == "waiting"


@pytest.mark.parametrize(
    ("action", "low", "high"),
    [(Action.ATTACK, 10, 50), (Action.DEFEND, 5, 20), (Action.SPECIAL, 50, 100)],
)
async def test_points_stay_in_range(action: Action, low: int, high: int) -> None:
    store = make_store(game_target_score=10**9)
    ada, _ = await two_players(store)
    points = [(await store.move(ada.player.id, ada.token, action)).points for _ in range(400)]
    landed = [p for p in points if p]
    assert all(low <= p <= high for p in landed)
    assert min(landed) == low and max(landed) == high
    if action is Action.SPECIAL:
        misses = points.count(0)
        assert 120 < misses < 280  # half the time, give or take
    else:
        assert len(landed) == len(points)


async def test_the_seed_makes_rounds_reproducible() -> None:
    async def play(seed: int) -> list[int]:
        store = make_store(game_seed=seed, game_target_score=10**9)
        ada, _ = await two_players(store)
        return [
            (await store.move(ada.player.id, ada.token, action)).points
            for action in [Action.ATTACK, Action.SPECIAL, Action.DEFEND] * 10
        ]

    assert await play(1) == await play(1)
    assert await play(1) != await play(2)


async def test_a_level_every_hundred_points() -> None:
    store = make_store(game_target_score=10**9)
    ada, _ = await two_players(store)
    score = 0
    for _ in range(60):
        moved = await store.move(ada.player.id, ada.token, Action.ATTACK)
        assert moved.level == moved.score // 100 + 1
        assert moved.leveled_up == (moved.score // 100 > score // 100)
        score = moved.score


async def test_the_cooldown_is_enforced_with_the_time_left() -> None:
    clock = ManualClock()
    store = make_store(clock, game_cooldown_s=2.0)
    ada, grace = await two_players(store)
    await store.move(ada.player.id, ada.token, Action.ATTACK)
    await store.move(grace.player.id, grace.token, Action.ATTACK)  # cooldowns are per player
    clock.advance(0.5)
    with pytest.raises(CoolingDown) as caught:
        await store.move(ada.player.id, ada.token, Action.DEFEND)
    assert caught.value.data == {"retry_after_s": 1.5, "cooldown_s": 2.0}
    clock.advance(1.5)
    await store.move(ada.player.id, ada.token, Action.DEFEND)


async def test_a_refused_move_does_not_restart_the_cooldown() -> None:
    clock = ManualClock()
    store = make_store(clock, game_cooldown_s=2.0)
    ada, _ = await two_players(store)
    await store.move(ada.player.id, ada.token, Action.ATTACK)
    clock.advance(1)
    with pytest.raises(CoolingDown):
        await store.move(ada.player.id, ada.token, Action.ATTACK)
    clock.advance(1)
    await store.move(ada.player.id, ada.token, Action.ATTACK)


async def test_tokens_are_long_random_and_not_kept() -> None:
    store = make_store()
    ada, grace = await two_players(store)
    raw = base64.urlsafe_b64decode(ada.token + "=" * (-len(ada.token) % 4))
    assert len(raw) * 8 >= 128
    assert ada.token != grace.token and ada.player.id != grace.player.id
    kept = store._round.players[ada.player.id]
    assert ada.token not in repr(kept) and ada.token.encode() != kept.token_digest


async def test_a_wrong_token_and_an_unknown_player_look_the_same() -> None:
    store = make_store()
    ada, grace = await two_players(store)
    attempts = [
        (ada.player.id, grace.token),
        (ada.player.id, ada.token[:-1]),
        ("p_nobody", ada.token),
        ("", ""),
    ]
    errors = []
    for player_id, token in attempts:
        with pytest.raises(BadCredentials) as caught:
            await store.move(player_id, token, Action.ATTACK)
        errors.append(caught.value.to_error())
    assert errors == [{"code": 4001, "message": "Unknown player or wrong token"}] * len(attempts)


@pytest.mark.parametrize("taken", ["ada", "ADA", "Ａｄａ", "AdA"])
async def test_names_are_unique_ignoring_case_and_lookalike_forms(taken: str) -> None:
    store = make_store()
    await store.join("Ada")
    with pytest.raises(NameTaken) as caught:
        await store.join(taken)
    assert caught.value.data == {"name": taken}
    await store.join("Ada Lovelace")


@pytest.mark.parametrize("name", ["", "x" * 33, " Ada", "Ada ", "A\nda", "\x00", "Ada\u200b"])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="a name"):
        check_name(name)


@pytest.mark.parametrize("name", ["A", "x" * 32, "Ada Lovelace", "Zoë", "李小龙", "🐉 Dragon"])
def test_good_names_pass(name: str) -> None:
    assert check_name(name) == name


async def test_the_round_has_a_size_limit() -> None:
    store = make_store(game_max_players=3)
    for name in ("a", "b", "c"):
        await store.join(name)
    with pytest.raises(RoundFull) as caught:
        await store.join("d")
    assert caught.value.data == {"max_players": 3}
    assert (await store.state()).players == 3


async def test_status_and_leaderboard_rank_players() -> None:
    store = make_store(game_target_score=10**9)
    ada, grace = await two_players(store)
    await store.move(grace.player.id, grace.token, Action.ATTACK)
    top = await store.leaderboard(5)
    assert [(p.name, p.rank) for p in top] == [("Grace", 1), ("Ada", 2)]
    assert (await store.status(ada.player.id)).rank == 2
    with pytest.raises(PlayerNotFound):
        await store.status("p_nobody")


async def test_a_new_round_starts_empty_and_forgets_the_old_players() -> None:
    store = make_store()
    ada, _ = await two_players(store)
    state = await store.new_round()
    assert (state.number, state.phase, state.players, state.winner) == (2, Phase.WAITING, 0, None)
    with pytest.raises(PlayerNotFound):
        await store.status(ada.player.id)
    with pytest.raises(BadCredentials):
        await store.move(ada.player.id, ada.token, Action.ATTACK)
    await store.join("Ada")  # the name is free again


def test_min_players_above_max_players_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="game_min_players"):
        make_store(game_min_players=5, game_max_players=4)


def test_game_settings_come_from_the_environment_and_are_checked() -> None:
    loaded = load(environ={"RPC_GAME_SEED": "42", "RPC_GAME_COOLDOWN_S": "0.5"})
    assert (loaded.game_seed, loaded.game_cooldown_s) == (42, 0.5)
    assert load(environ={}).game_seed is None
    for bad in (
        {"RPC_GAME_MIN_PLAYERS": "1"},
        {"RPC_GAME_ROUND_S": "0"},
        {"RPC_GAME_ROUND_S": "inf"},
        {"RPC_GAME_COOLDOWN_S": "-1"},
        {"RPC_GAME_SEED": "lucky"},
    ):
        with pytest.raises(ValidationError):
            load(environ=bad)
