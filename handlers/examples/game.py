"""Examples for game.* methods, shown in the OpenRPC document and checked against them."""

from __future__ import annotations

from typing import Any

from app.rpc.namespace import Example

_PLAYER = "p_3kTMd1eYhP0q2RxZ"
# Shown in OpenRPC as an illustration; real tokens come from secrets at join.
_TOKEN = "Yt2v8yXo0m0i0vGkz3fJp0m7cF1u4hQ6l9nE2sWbA5c"  # noqa: S105
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
        "first player",
        {"name": "Ada"},
        {
            "player_id": _PLAYER,
            "player_token": _TOKEN,
            "name": "Ada",
            "emoji": "🦊",
            "round": 1,
            "phase": "waiting",
            "message": "Welcome, Ada 🦊! Waiting for 1 more player.",
        },
    )
]

MOVE: list[Example] = [
    Example(
        "an attack",
        {"player_id": _PLAYER, "player_token": _TOKEN, "action": "attack"},
        {
            "action": "attack",
            "points": 32,
            "score": 132,
            "level": 2,
            "leveled_up": True,
            "rank": 1,
            "won": False,
            "message": "⚔️ Attack hits for 32 points! Level up: you are level 2!",
        },
    )
]

STATUS: list[Example] = [
    Example(
        "a player",
        {"player_id": _PLAYER},
        {
            "player_id": _PLAYER,
            "name": "Ada",
            "emoji": "🦊",
            "score": 132,
            "level": 2,
            "rank": 1,
        },
    )
]

LEADERBOARD: list[Example] = [
    Example(
        "the top two",
        {"limit": 2},
        [
            {"rank": 1, "medal": "🥇", "name": "Ada", "emoji": "🦊", "score": 132, "level": 2},
            {"rank": 2, "medal": "🥈", "name": "Grace", "emoji": "🐙", "score": 45, "level": 1},
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
