"""Examples for chat.* methods, shown in the OpenRPC document and checked against them."""

from __future__ import annotations

from app.rpc.namespace import Example

_ADA = {"name": "ada", "joined_at": 1800000000.0, "seen_at": 1800000000.0}

JOIN = [Example("join a room", params={"room": "lobby", "name": "ada"}, result=[_ADA])]
SEND = [
    Example(
        "say hello",
        params={"room": "lobby", "text": "hello"},
        result={
            "offset": 2,
            "kind": "message",
            "name": "ada",
            "text": "hello",
            "at": 1800000000.0,
            "reason": None,
        },
    )
]
HISTORY = [
    Example(
        "the latest",
        params={"room": "lobby", "limit": 2},
        result=[
            {
                "offset": 1,
                "kind": "join",
                "name": "ada",
                "text": None,
                "at": 1800000000.0,
                "reason": None,
            },
            {
                "offset": 2,
                "kind": "message",
                "name": "ada",
                "text": "hello",
                "at": 1800000000.0,
                "reason": None,
            },
        ],
    )
]
MEMBERS = [Example("who is here", params={"room": "lobby"}, result=[_ADA])]
LEAVE = [Example("leave", params={"room": "lobby"}, result=True)]
SUBSCRIBE = [
    Example(
        "listen",
        params={"room": "lobby"},
        result={
            "subscription": "0x5f1e2d3c4b5a6978",
            "epoch": "9c1f0e7a2b3d4c5e",
            "offset": 2,
            "recovered": False,
        },
    )
]
