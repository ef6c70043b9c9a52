"""Hostile load on the real server process: while a stranger floods the heaviest batches it
can find from many connections, an honest caller with its own key keeps getting answers."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path

import aiohttp
import orjson

from tests.helpers.keys import bearer, new_key
from tests.helpers.server_process import server_process


def heavy(rng: random.Random) -> bytes:
    """100 calls for made-up cities, each new: each runs the fuzzy "did you mean" search."""
    names = ("".join(rng.choice("aeinorstlh") for _ in range(12)) for _ in range(100))
    return orjson.dumps(
        [
            {"jsonrpc": "2.0", "method": "weather.current", "params": [name], "id": n}
            for n, name in enumerate(names)
        ]
    )


ADD = b'{"jsonrpc":"2.0","method":"calc.add","params":[2,3],"id":1}'
JSON = {"Content-Type": "application/json"}


async def flood(
    session: aiohttp.ClientSession, url: str, requests: int, seen: Counter[str], seed: int
) -> None:
    """One hostile connection's worth of heavy batches, counting what came back."""
    rng = random.Random(seed)
    for _ in range(requests):
        try:
            async with session.post(url, data=heavy(rng), headers=JSON) as response:
                body = await response.read()
        except aiohttp.ClientError:
            seen["dropped"] += 1
            continue
        if response.status != 200:
            seen[str(response.status)] += 1
            continue
        codes = {answer.get("error", {}).get("code") for answer in orjson.loads(body)}
        seen["limited" if -32003 in codes else "served"] += 1


async def test_an_honest_caller_is_answered_through_a_flood_of_heavy_batches(
    tmp_path: Path,
) -> None:
    keys = tmp_path / "keys"
    honest = new_key(keys, "honest", "calc")
    async with server_process("--keys-file", str(keys)) as server:
        url = f"{server.url}/rpc"
        seen: Counter[str] = Counter()
        connector = aiohttp.TCPConnector(limit=100)
        async with (
            aiohttp.ClientSession(connector=connector) as hostile,
            aiohttp.ClientSession() as caller,
        ):
            floods = [
                asyncio.create_task(flood(hostile, url, 10, seen, seed)) for seed in range(100)
            ]
            answers = []
            async with asyncio.timeout(120):
                while not all(task.done() for task in floods) or len(answers) < 20:
                    async with caller.post(url, data=ADD, headers={**JSON, **bearer(honest)}) as r:
                        answers.append((r.status, await r.read()))
                await asyncio.gather(*floods)
        assert answers
        assert set(answers) == {(200, b'{"jsonrpc":"2.0","result":5,"id":1}')}
        assert sum(seen.values()) == 1000
        assert seen["429"] + seen["limited"] > 0, seen  # the stranger was held to its limit
        assert seen["dropped"] == 0, seen
