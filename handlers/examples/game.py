"""Examples for game.* methods, shown in the OpenRPC document and checked against them.

Demo mode (`rpc-hub serve --demo`, app/server/demo.py) seeds player `PLAYER_NAME` with
this id and token, waiting alone, so that the join example starts the round and the moves go.
"""

from __future__ import annotations

from typing import Any

from app.rpc.namespace import Example

PLAYER_ID = "p_3kTMd1eYhP0q2RxZ"
PLAYER_NAME = "Ada"
# Shown in OpenRPC as an illustration; real tokens come from secrets at join.
PLAYER_TOKEN = "Yt2v8yXo0m0i0vGkz3fJp0m7cF1u4hQ6l9nE2sWbA5c"  # noqa: S105
_ROUND: dict[str, Any] = {
    "round": 1,
    "phase": "playing",
    "players": 2,
    "min_players": 2,
    "max_players": 1000,
    "target_score": 1000,
    "round_s": 300.0,
    "time_left_s": 241.5,
    "cooldown_s": 1.0,
    "finish_reason": None,
    "winner": None,
}

JOIN: list[Example] = [
    Example(
        "the second player",
        {"name": "Grace"},
        {
            "player_id": "p_8QwZr2LmXv5Tn0Ka",
            "player_token": "c4Jd9LqW0xZ7mT2vR5nB8yH1kP6sF3gA0eU4iO7rK2w",
            "name": "Grace",
            "emoji": "🐙",
            "round": 1,
            "phase": "playing",
            "message": "Welcome, Grace 🐙! The round is on: make your move!",
        },
        summary="Two players start the round.",
    )
]

MOVE: list[Example] = [
    Example(
        "an attack",
        {"player_id": PLAYER_ID, "player_token": PLAYER_TOKEN, "action": "attack"},
        {
            "action": "attack",
            "points": 32,
            "score": 32,
            "level": 1,
            "leveled_up": False,
            "rank": 1,
            "won": False,
            "message": "⚔️ Attack hits for 32 points!",
        },
    )
]

STATUS: list[Example] = [
    Example(
        "a player",
        {"player_id": PLAYER_ID},
        {
            "player_id": PLAYER_ID,
            "name": PLAYER_NAME,
            "emoji": "🦊",
            "score": 32,
            "level": 1,
            "rank": 1,
        },
    )
]

LEADERBOARD: list[Example] = [
    Example(
        "the top two",
        {"limit": 2},
        [
            {"rank": 1, "medal": "🥇", "name": "Ada", "emoji": "🦊", "score": 32, "level": 1},
            {"rank": 2, "medal": "🥈", "name": "Grace", "emoji": "🐙", "score": 0, "level": 1},
        ],
    )
]

STATE: list[Example] = [Example("mid-round", [], _ROUND)]

NEW_ROUND: list[Example] = [
    Example(
        "a fresh round",
        [],
        {**_ROUND, "round": 2, "phase": "waiting", "players": 0, "time_left_s": None},
    )
]

SUBSCRIBE: list[Example] = [
    Example(
        "from now on",
        {},
        {
            "subscription": "0x5f1e2d3c4b5a6978",
            "epoch": "b7e0c41d9a2f3e68",
            "offset": 12,
            "recovered": False,
        },
        summary="Over a WebSocket; notifications then carry moves, the top 10 and phases.",
    ),
    Example(
        "resuming",
        {"since": {"epoch": "b7e0c41d9a2f3e68", "offset": 9}},
        {
            "subscription": "0x0a1b2c3d4e5f6071",
            "epoch": "b7e0c41d9a2f3e68",
            "offset": 12,
            "recovered": True,
        },
    ),
]
