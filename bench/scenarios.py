"""The request bodies each load scenario sends, and the state the realistic mix needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from app.client import Client

THROUGHPUT_FLAGS = (
    # The limiter stays on (its cost is part of every call) but out of reach: the load
    # scenarios measure speed from one address, far past any sane per-caller limit.
    "--rate-limit",
    "1000000000",
    "--rate-burst",
    "1000000000",
)
APP_FLAGS = (
    *THROUGHPUT_FLAGS,
    # The mix moves the same few players as fast as wrk can: no cooldown, no end of round.
    "--game-cooldown-s",
    "0",
    "--game-target-score",
    "1000000000000",
    "--game-round-s",
    "31000000",
)


@dataclass(frozen=True)
class Scenario:
    name: str
    bodies: list[bytes]
    calls_per_request: int


def _request(method: str, params: Any, id_: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": method, "params": params, "id": id_}


def _add(a: int, b: int, named: bool) -> dict[str, int] | list[int]:
    # Some peers take params by name only; rpc-hub and the ceiling get the positional form.
    return {"a": a, "b": b} if named else [a, b]


def single(named: bool = False) -> Scenario:
    return Scenario("single calc.add", [orjson.dumps(_request("calc.add", _add(2, 3, named)))], 1)


def batch(size: int = 100, named: bool = False) -> Scenario:
    body = orjson.dumps([_request("calc.add", _add(i, i, named), i) for i in range(size)])
    return Scenario(f"batch of {size} calc.add", [body], size)


async def mix(url: str) -> Scenario:
    """Weather, cart reads and writes, and game moves, against state set up through the API."""
    async with Client(url) as client:
        cart = (await client.call("cart.create"))["cart_id"]
        await client.call("cart.add_item", cart, "coffee", 2)
        players = [await client.call("game.join", f"bench-{n}") for n in range(4)]
        requests = [
            _request("weather.get_temperature", {"city": "London"}),
            _request("weather.current", {"city": "Tokyo"}),
            _request("weather.forecast", {"city": "Sydney", "days": 3}),
            _request("weather.search_cities", {"query": "san", "limit": 5}),
            _request("cart.get_product", ["keyboard"]),
            _request("cart.list_products", {"query": "coffee", "limit": 5}),
            _request("cart.get", [cart]),
            _request("cart.set_quantity", [cart, "book", 1]),
            _request("cart.set_quantity", [cart, "book", 2]),
            *(
                _request("game.move", [p["player_id"], p["player_token"], action])
                for p, action in zip(
                    players, ["attack", "defend", "special", "attack"], strict=True
                )
            ),
            _request("game.leaderboard", [5]),
            _request("game.status", [players[0]["player_id"]]),
        ]
        for request in requests:  # every body must do real work, not hit an error path
            answer = await client.send(request)
            if "error" in answer:
                raise RuntimeError(f"mix request {request['method']} failed: {answer['error']}")
    return Scenario("mix: weather, cart, game", [orjson.dumps(r) for r in requests], 1)
