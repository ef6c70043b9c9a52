"""game.subscribe over a real WebSocket: moves, the top 10 and phases, as other clients play."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from app.clock import ManualClock
from tests.helpers.rpc import Client, MakeClient, post, result
from tests.helpers.ws import Socket, connect

ADMIN = "game-topic-admin"
MOVE_FIELDS = {"kind", "player", "action", "points", "score", "level", "leveled_up", "rank", "won"}


@pytest.fixture
async def client(make_client: MakeClient, clock: ManualClock) -> Client:
    """A game on the test's clock, with a fixed seed and no cooldown between moves."""
    return await make_client(clock=clock, game_seed=11, game_cooldown_s=0.0, admin_token=ADMIN)


async def join(client: Client, name: str) -> dict[str, Any]:
    joined: dict[str, Any] = await result(client, "game.join", {"name": name})
    return joined


async def move(client: Client, player: dict[str, Any], action: str = "attack") -> dict[str, Any]:
    params = {k: player[k] for k in ("player_id", "player_token")} | {"action": action}
    moved: dict[str, Any] = await result(client, "game.move", params)
    return moved


async def events(socket: Socket, count: int) -> list[dict[str, Any]]:
    """The next ``count`` notifications' params."""
    return [await socket.notification() for _ in range(count)]


async def until(socket: Socket, kind: str) -> dict[str, Any]:
    """The next notification's params whose result is of ``kind``, skipping others."""
    while True:
        event = await socket.notification()
        if event["result"]["kind"] == kind:
            return event


async def test_a_move_by_another_client_reaches_the_subscriber(client: Client) -> None:
    socket = await connect(client)
    subscribed = await socket.result("game.subscribe")
    assert (subscribed["offset"], subscribed["recovered"]) == (0, False)
    ada, grace = await join(client, "Ada"), await join(client, "Grace")
    opened, started = await events(socket, 2)
    assert opened["result"] == {
        "kind": "phase",
        "round": 1,
        "phase": "waiting",
        "players": 1,
        "min_players": 2,
        "max_players": 1000,
        "target_score": 1000,
        "round_s": 300.0,
        "time_left_s": None,
        "cooldown_s": 0.0,
        "finish_reason": None,
        "winner": None,
    }
    assert (started["result"]["phase"], started["result"]["players"]) == ("playing", 2)

    moved = await move(client, ada)
    told = await socket.notification()
    assert told["subscription"] == subscribed["subscription"]
    assert told["offset"] == 3
    assert set(told["result"]) == MOVE_FIELDS
    assert told["result"] == {
        "kind": "move",
        "player": {"player_id": ada["player_id"], "name": "Ada", "emoji": ada["emoji"]},
        **{k: v for k, v in moved.items() if k != "message"},
    }
    assert told["result"]["score"] == moved["points"] and told["result"]["rank"] == 1
    board = await socket.notification()
    assert board["result"] == {
        "kind": "leaderboard",
        "top": await result(client, "game.leaderboard", {"limit": 10}),
    }
    assert [p["name"] for p in board["result"]["top"]] == ["Ada", "Grace"]
    # Nothing a subscriber sees holds a player's secret.
    seen = orjson.dumps([opened, started, told, board]).decode()
    assert ada["player_token"] not in seen and grace["player_token"] not in seen
    await socket.close()


async def test_the_top_ten_is_told_only_when_a_move_changes_it(client: Client) -> None:
    socket = await connect(client)
    await socket.result("game.subscribe")
    leaders = [await join(client, f"Leader {n}") for n in range(10)]
    for _ in range(3):  # 30 points at least each: beyond any one defend (20 at most)
        for leader in leaders:
            await move(client, leader)
    last = await join(client, "Last")
    board = await result(client, "game.leaderboard", {"limit": 10})

    defended = await move(client, last, "defend")
    assert defended["points"] > 0 and defended["rank"] == 11
    told = await until(socket, "move")
    while told["result"]["player"]["name"] != "Last":
        told = await until(socket, "move")
    await move(client, leaders[9])
    after = [await socket.notification() for _ in range(2)]
    # The defend outside the top told no leaderboard: the next event is the next move's.
    assert [e["result"]["kind"] for e in after] == ["move", "leaderboard"]
    assert after[0]["offset"] == told["offset"] + 1
    top = after[1]["result"]["top"]
    assert len(top) == 10 and "Last" not in [p["name"] for p in top]
    assert top == await result(client, "game.leaderboard", {"limit": 10})
    assert top != board  # the leader's move changed it
    await socket.close()


async def test_the_winning_move_and_a_new_round_are_phases(make_client: MakeClient) -> None:
    client = await make_client(
        game_seed=11, game_cooldown_s=0.0, game_target_score=60, admin_token=ADMIN
    )
    socket = await connect(client)
    await socket.result("game.subscribe")
    ada, _ = await join(client, "Ada"), await join(client, "Grace")
    while not (await move(client, ada))["won"]:
        pass
    won = await until(socket, "move")
    while not won["result"]["won"]:
        won = await until(socket, "move")
    board, finished = await events(socket, 2)
    assert board["result"]["top"][0]["name"] == "Ada"
    assert finished["result"]["kind"] == "phase"
    assert finished["result"]["phase"] == "finished"
    assert finished["result"]["finish_reason"] == "target"
    assert finished["result"]["winner"]["name"] == "Ada"

    status, answer = await post(
        client,
        {"jsonrpc": "2.0", "method": "game.new_round", "id": 1},
        Authorization=f"Bearer {ADMIN}",
    )
    assert status == 200 and "result" in answer, answer
    fresh = await socket.notification()
    assert fresh["result"] == {"kind": "phase", **answer["result"]}
    assert (fresh["result"]["round"], fresh["result"]["players"]) == (2, 0)
    await socket.close()


async def test_unsubscribe_stops_delivery(client: Client) -> None:
    socket = await connect(client)
    stopped = (await socket.result("game.subscribe"))["subscription"]
    kept = (await socket.result("game.subscribe"))["subscription"]
    assert await socket.result("game.unsubscribe", {"subscription": stopped}) is True
    assert await socket.result("game.unsubscribe", {"subscription": stopped}) is False
    ada, _ = await join(client, "Ada"), await join(client, "Grace")
    await move(client, ada)
    received = [await socket.notification() for _ in range(4)]  # two phases, move, top
    # An answer leaves the outbox after what was queued before it: nothing else is coming.
    assert await socket.result("calc.add", [1, 1]) == 2
    while not socket.notifications.empty():
        received.append(socket.notifications.get_nowait())
    assert [e["result"]["kind"] for e in received] == ["phase", "phase", "move", "leaderboard"]
    assert {e["subscription"] for e in received} == {kept}
    await socket.close()


async def test_since_resumes_with_what_was_missed(client: Client) -> None:
    socket = await connect(client)
    subscribed = await socket.result("game.subscribe")
    ada, grace = await join(client, "Ada"), await join(client, "Grace")
    last_seen = (await events(socket, 2))[-1]["offset"]
    await socket.close()

    await move(client, ada)  # missed: a move and the top it changed
    since = {"epoch": subscribed["epoch"], "offset": last_seen}
    socket = await connect(client)
    resumed = await socket.result("game.subscribe", {"since": since})
    assert resumed["recovered"] is True
    assert (resumed["epoch"], resumed["offset"]) == (subscribed["epoch"], last_seen + 2)
    missed = await events(socket, 2)
    assert [(e["offset"], e["result"]["kind"]) for e in missed] == [
        (last_seen + 1, "move"),
        (last_seen + 2, "leaderboard"),
    ]
    await move(client, grace)  # and live again after them
    live = await socket.notification()
    assert (live["offset"], live["result"]["player"]["name"]) == (last_seen + 3, "Grace")
    await socket.close()


async def test_over_plain_http_subscribe_says_to_use_a_stream(client: Client) -> None:
    response = await post(client, {"jsonrpc": "2.0", "method": "game.subscribe", "id": 1})
    assert response[1]["error"]["code"] == -32007
