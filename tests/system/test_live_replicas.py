"""Live updates across real replicas on one real Redis: an event published on one replica
reaches a subscriber connected to the other, and resuming works across them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from tests.helpers import redis_server
from tests.helpers.redis_server import RedisServer
from tests.helpers.server_process import server_process

pytestmark = redis_server.needs_redis
WAIT_S = 10.0


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


async def frames(ws: aiohttp.ClientWebSocketResponse, count: int) -> list[dict[str, Any]]:
    """The next ``count`` frames, decoded (bounded: a missing frame fails the test)."""
    got = []
    async with asyncio.timeout(WAIT_S):
        while len(got) < count:
            got.append(orjson.loads((await ws.receive()).data))
    return got


def request(method: str, params: Any, id_: int) -> bytes:
    return orjson.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": id_})


async def test_a_chat_message_sent_on_one_replica_is_heard_on_the_other(
    redis: RedisServer,
) -> None:
    env = {"RPC_STORE": redis.url}
    async with (
        server_process(env=env) as one,
        server_process(env=env) as other,
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{other.url}/rpc") as listener,
        http.ws_connect(f"{one.url}/rpc") as speaker,
    ):
        await listener.send_bytes(request("chat.subscribe", {"room": "lobby"}, 1))
        [subscribed] = await frames(listener, 1)
        await speaker.send_bytes(request("chat.join", {"room": "lobby", "name": "ada"}, 1))
        await speaker.send_bytes(request("chat.send", {"room": "lobby", "text": "hi"}, 2))
        await frames(speaker, 2)
        joined, said = await frames(listener, 2)
        assert joined["params"]["result"]["kind"] == "join"
        assert said["params"]["result"]["text"] == "hi"
        assert said["params"]["subscription"] == subscribed["result"]["subscription"]

        # A listener that reconnects to the first replica resumes where it was.
        position = {"epoch": subscribed["result"]["epoch"], "offset": said["params"]["offset"]}
        await speaker.send_bytes(request("chat.send", {"room": "lobby", "text": "missed"}, 3))
        await frames(speaker, 1)
        async with http.ws_connect(f"{one.url}/rpc") as again:
            params = {"room": "lobby", "since": position}
            await again.send_bytes(request("chat.subscribe", params, 1))
            answer, missed = await frames(again, 2)
        assert answer["result"]["recovered"] is True
        assert missed["params"]["result"]["text"] == "missed"
