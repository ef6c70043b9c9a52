"""game.* through /rpc: joining, moving, ranking, the round's phases, and racing players."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from app.clock import ManualClock
from app.server import build_api
from app.settings import Settings
from tests.helpers.keys import new_key
from tests.helpers.rpc import Client, MakeClient, call, error, post, result

ADMIN = "game-admin-secret"


@pytest.fixture
def game(make_client: MakeClient, clock: ManualClock) -> Any:
    """Build a game server on the test's clock, with a fixed seed and any setting overridden."""

    async def make(**overrides: Any) -> Client:
        overrides.setdefault("game_seed", 11)
        overrides.setdefault("admin_token", ADMIN)
        return await make_client(clock=clock, **overrides)

    return make


async def join(client: Client, name: str) -> dict[str, Any]:
    joined: dict[str, Any] = await result(client, "game.join", {"name": name})
    return joined


def move_params(player: dict[str, Any], action: str = "attack") -> dict[str, Any]:
    return {
        "player_id": player["player_id"],
        "player_token": player["player_token"],
        "action": action,
    }


async def move(client: Client, player: dict[str, Any], action: str = "attack") -> Any:
    return await call(client, "game.move", move_params(player, action))


async def test_join_gives_an_id_a_secret_token_an_emoji_and_a_welcome(game: Any) -> None:
    client = await game()
    ada = await join(client, "Ada")
    assert set(ada) == {"player_id", "player_token", "name", "emoji", "round", "phase", "message"}
    token = base64.urlsafe_b64decode(ada["player_token"] + "=" * (-len(ada["player_token"]) % 4))
    assert len(token) * 8 >= 128
    assert (ada["name"], ada["round"], ada["phase"]) == ("Ada", 1, "waiting")
    assert "Ada" in ada["message"] and "1 more player" in ada["message"]
    grace = await join(client, "Grace")
    assert grace["phase"] == "playing" and "make your move" in grace["message"]
    assert grace["player_id"] != ada["player_id"]


async def test_a_move_earns_points_levels_and_a_rank(game: Any) -> None:
    client = await game(game_cooldown_s=0.0)
    ada, grace = await join(client, "Ada"), await join(client, "Grace")
    total = 0
    for action in ["attack", "defend", "special", "attack", "attack", "attack"]:
        moved = (await move(client, ada, action))["result"]
        total += moved["points"]
        assert moved["action"] == action
        assert (moved["score"], moved["level"]) == (total, total // 100 + 1)
        assert moved["rank"] == (1 if total > 0 else 2) and moved["won"] is False
        assert moved["message"]
    status = await result(client, "game.status", [ada["player_id"]])
    assert status == {
        "player_id": ada["player_id"],
        "name": "Ada",
        "emoji": ada["emoji"],
        "score": total,
        "level": total // 100 + 1,
        "rank": 1,
    }
    assert (await result(client, "game.status", {"player_id": grace["player_id"]}))["rank"] == 2


async def test_the_leaderboard_shows_the_top_players_with_medals(game: Any) -> None:
    client = await game(game_cooldown_s=0.0, game_target_score=10**6)
    players = [await join(client, name) for name in ["a", "b", "c", "d", "e", "f", "g"]]
    earned = {"a": 0}
    for rounds, player in enumerate(players[1:], start=1):
        moves = [await move(client, player, "attack") for _ in range(rounds)]
        earned[player["name"]] = moves[-1]["result"]["score"]
    best_first = sorted(earned, key=lambda name: -earned[name])
    board = await result(client, "game.leaderboard")
    assert [entry["name"] for entry in board] == best_first[:5]
    assert [entry["score"] for entry in board] == [earned[name] for name in best_first[:5]]
    assert [entry["medal"] for entry in board] == ["🥇", "🥈", "🥉", "🏅", "🏅"]
    assert [entry["rank"] for entry in board] == [1, 2, 3, 4, 5]
    scores = [entry["score"] for entry in board]
    assert scores == sorted(scores, reverse=True)
    assert set(board[0]) == {"rank", "medal", "name", "emoji", "score", "level"}
    everyone = await result(client, "game.leaderboard", {"limit": 100})
    assert len(everyone) == 7 and everyone[-1]["medal"] is None and everyone[-1]["name"] == "a"
    for limit in (0, 101, "5", True):
        err = await error(client, "game.leaderboard", [limit])
        assert err["code"] == -32602 and err["data"][0]["path"] == "limit"


async def test_the_seed_replays_a_round_and_points_stay_in_range(game: Any) -> None:
    async def play(seed: int) -> list[Any]:
        client = await game(game_seed=seed, game_cooldown_s=0.0, game_target_score=10**6)
        ada, grace = await join(client, "Ada"), await join(client, "Grace")
        played: list[Any] = [ada["emoji"], grace["emoji"]]
        for action in ["attack", "defend", "special"] * 8:
            for player in (ada, grace):
                points = (await move(client, player, action))["result"]["points"]
                low, high = {"attack": (10, 50), "defend": (5, 20), "special": (50, 100)}[action]
                assert low <= points <= high or (action == "special" and points == 0)
                played.append(points)
        return played

    first = await play(5)
    assert first == await play(5)
    assert first != await play(6)


async def test_state_counts_players_and_time_left_on_the_store_clock(
    game: Any, clock: ManualClock
) -> None:
    client = await game(game_round_s=120.0)
    state = await result(client, "game.state")
    assert state["phase"] == "waiting" and state["players"] == 0 and state["time_left_s"] is None
    assert (state["target_score"], state["min_players"], state["round_s"]) == (1000, 2, 120.0)
    ada, grace = await join(client, "Ada"), await join(client, "Grace")
    clock.advance(20)
    state = await result(client, "game.state")
    assert (state["phase"], state["players"], state["time_left_s"]) == ("playing", 2, 100.0)
    await move(client, grace)
    clock.advance(100)
    state = await result(client, "game.state")
    assert (state["phase"], state["time_left_s"], state["finish_reason"]) == (
        "finished",
        0.0,
        "time",
    )
    assert state["winner"]["name"] == "Grace"
    err = (await move(client, ada))["error"]
    assert err == {
        "code": 4002,
        "message": "Not allowed in this phase of the round",
        "data": {"phase": "finished", "allowed": ["playing"]},
    }


async def test_a_move_before_the_round_plays_is_invalid_state(game: Any) -> None:
    client = await game()
    ada = await join(client, "Ada")
    err = (await move(client, ada))["error"]
    assert err["code"] == 4002 and err["data"]["phase"] == "waiting"


async def test_moving_too_soon_says_how_long_to_wait(game: Any, clock: ManualClock) -> None:
    client = await game(game_cooldown_s=3.0)
    ada, _ = await join(client, "Ada"), await join(client, "Grace")
    assert "result" in await move(client, ada)
    clock.advance(1.25)
    err = (await move(client, ada, "defend"))["error"]
    assert err == {
        "code": 4005,
        "message": "Too soon since your last move",
        "data": {"retry_after_s": 1.75, "cooldown_s": 3.0},
    }
    clock.advance(1.75)
    assert "result" in await move(client, ada, "defend")


async def test_wrong_tokens_and_unknown_players_get_the_same_answer(game: Any) -> None:
    client = await game()
    ada, grace = await join(client, "Ada"), await join(client, "Grace")
    stolen = {**ada, "player_token": grace["player_token"]}
    ghost = {**ada, "player_id": "p_doesnotexist0000"}
    errors = [(await move(client, player))["error"] for player in (stolen, ghost)]
    assert errors == [{"code": 4001, "message": "Unknown player or wrong token"}] * 2
    # Nobody moved: both still have nothing.
    assert (await result(client, "game.status", [ada["player_id"]]))["score"] == 0


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"player_id": "p_x", "player_token": "t", "action": "cheat"}, "action"),
        ({"player_id": "p_x", "player_token": "t" * 129, "action": "attack"}, "player_token"),
        ({"player_id": "p_x", "player_token": 7, "action": "attack"}, "player_token"),
        ({"player_id": "p_x", "action": "attack"}, "player_token"),
    ],
)
async def test_malformed_moves_are_invalid_params(
    game: Any, params: dict[str, Any], path: str
) -> None:
    client = await game()
    err = await error(client, "game.move", params)
    assert err["code"] == -32602 and [p["path"] for p in err["data"]] == [path]


@pytest.mark.parametrize("name", ["", "x" * 33, " Ada", "Ada\t", "\u0007bell", 42, None])
async def test_bad_names_are_invalid_params(game: Any, name: Any) -> None:
    client = await game()
    err = await error(client, "game.join", {"name": name})
    assert err["code"] == -32602 and err["data"][0]["path"] == "name"
    assert (await result(client, "game.state"))["players"] == 0


async def test_names_are_unique_in_a_round_ignoring_case(game: Any) -> None:
    client = await game()
    await join(client, "Ada")
    err = await error(client, "game.join", {"name": "aDa"})
    assert err == {
        "code": 4003,
        "message": "Name already taken in this round",
        "data": {"name": "aDa"},
    }


async def test_a_full_round_refuses_more_players(game: Any) -> None:
    client = await game(game_max_players=2)
    await join(client, "Ada")
    await join(client, "Grace")
    err = await error(client, "game.join", {"name": "Linus"})
    assert err["code"] == 4004 and err["data"] == {"max_players": 2}


async def test_a_new_round_needs_the_admin_scope(
    make_client: MakeClient, game: Any, tmp_path: Path
) -> None:
    request = {"jsonrpc": "2.0", "method": "game.new_round", "id": 1}
    player = new_key(tmp_path / "keys.jsonl", "player", "game")
    keyed = await make_client(keys_file=str(tmp_path / "keys.jsonl"))
    _, body = await post(keyed, request, Authorization=f"Bearer {player}")
    assert (body["error"]["code"], body["error"]["data"]["required_scope"]) == (
        -32002,
        "game:admin",
    )

    client = await game()
    ada = await join(client, "Ada")
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        _, body = await post(client, request, **headers)
        assert body["error"]["code"] == -32001
    assert (await result(client, "game.state"))["players"] == 1

    _, body = await post(client, request, Authorization=f"Bearer {ADMIN}")
    assert body["result"]["round"] == 2
    assert (body["result"]["phase"], body["result"]["players"]) == ("waiting", 0)
    err = await error(client, "game.status", [ada["player_id"]])
    assert err["code"] == 4006 and err["message"] == "No such player in this round"
    assert (await join(client, "Ada"))["round"] == 2


async def test_rounds_roll_over_on_their_own_with_no_admin_token(
    make_client: MakeClient, clock: ManualClock
) -> None:
    client = await make_client(
        clock=clock, game_seed=11, game_cooldown_s=0.0, game_target_score=100, game_results_s=20.0
    )
    ada, grace = await join(client, "Ada"), await join(client, "Grace")
    while not (await move(client, ada))["result"]["won"]:
        pass
    clock.advance(19.5)  # the result stays up: the finished round, its winner and its players
    state = await result(client, "game.state")
    assert (state["round"], state["phase"], state["winner"]["name"]) == (1, "finished", "Ada")
    assert (await result(client, "game.status", [grace["player_id"]]))["rank"] == 2
    assert await error(client, "game.join", {"name": "Linus"}) == {
        "code": 4002,
        "message": "Not allowed in this phase of the round",
        "data": {"phase": "finished", "allowed": ["waiting", "playing"], "retry_after_s": 0.5},
    }
    clock.advance(0.5)
    linus = await join(client, "Linus")
    assert (linus["round"], linus["phase"]) == (2, "waiting")
    state = await result(client, "game.state")
    assert (state["round"], state["players"], state["winner"]) == (2, 1, None)
    assert (await move(client, ada))["error"]["code"] == 4001


async def test_two_players_racing_to_the_target_make_exactly_one_winner(game: Any) -> None:
    # Attacks earn at least 10, so 10 attacks always reach 100: both players send more than
    # enough, all at once, and the round must end on exactly one of them.
    client = await game(game_cooldown_s=0.0, game_target_score=100)
    ada, grace = await join(client, "Ada"), await join(client, "Grace")
    racers = [ada, grace] * 15
    responses = await asyncio.gather(*(move(client, player) for player in racers))

    accepted: dict[str, list[dict[str, Any]]] = {ada["player_id"]: [], grace["player_id"]: []}
    for player, response in zip(racers, responses, strict=True):
        if "result" in response:
            accepted[player["player_id"]].append(response["result"])
        else:
            assert response["error"]["code"] == 4002
            assert response["error"]["data"]["phase"] == "finished"
    wins = [moved for moves in accepted.values() for moved in moves if moved["won"]]
    assert len(wins) == 1
    [state] = [await result(client, "game.state")]
    assert (state["phase"], state["finish_reason"]) == ("finished", "target")
    for player in (ada, grace):
        moves = accepted[player["player_id"]]
        status = await result(client, "game.status", [player["player_id"]])
        # No point lost, none accepted after the end: the accepted points add up to the score.
        assert sum(m["points"] for m in moves) == status["score"]
        if status["name"] == state["winner"]["name"]:
            assert (
                status["score"] >= 100
                and moves[-1]["won"]
                and moves[-1]["score"] == status["score"]
            )
        else:
            assert status["score"] < 100
    late = await asyncio.gather(move(client, ada), move(client, grace))
    assert [r["error"]["code"] for r in late] == [4002, 4002]


async def test_a_batch_racing_to_the_target_also_makes_one_winner(game: Any) -> None:
    client = await game(game_cooldown_s=0.0, game_target_score=100)
    ada, grace = await join(client, "Ada"), await join(client, "Grace")
    batch = [
        {"jsonrpc": "2.0", "method": "game.move", "params": move_params(player), "id": i}
        for i, player in enumerate([ada, grace] * 15)
    ]
    _, responses = await post(client, batch)
    won = [r for r in responses if "result" in r and r["result"]["won"]]
    assert len(won) == 1
    after = responses[responses.index(won[0]) + 1 :]
    assert after and all(r["error"]["code"] == 4002 for r in after)


async def test_concurrent_moves_by_many_players_never_lose_a_point(game: Any) -> None:
    client = await game(game_cooldown_s=0.0, game_target_score=10**9, game_max_players=50)
    players = [await join(client, f"player {i}") for i in range(30)]
    moves = [(p, action) for p in players for action in ("attack", "defend", "special") * 3]
    responses = await asyncio.gather(*(move(client, p, action) for p, action in moves))
    earned: dict[str, int] = {}
    for (player, _), response in zip(moves, responses, strict=True):
        earned[player["player_id"]] = (
            earned.get(player["player_id"], 0) + response["result"]["points"]
        )
    for player in players:
        status = await result(client, "game.status", [player["player_id"]])
        assert status["score"] == earned[player["player_id"]]
    board = await result(client, "game.leaderboard", {"limit": 100})
    assert sorted(e["score"] for e in board) == sorted(earned.values())
    assert [e["score"] for e in board] == sorted(earned.values(), reverse=True)


def test_the_documented_examples_fit_the_methods() -> None:
    registry, _ = build_api(Settings())
    for entry in registry:
        if not entry.name.startswith("game."):
            continue
        for example in entry.declared.examples:
            entry.binder.bind(example.params)
            TypeAdapter(entry.result_type).validate_python(example.result)
