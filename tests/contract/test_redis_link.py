"""The shared Redis link: scripts' refusals become typed errors, and an unreachable Redis
becomes -32005 at once, never a hang or a traceback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from app.redis_link import Keyspace, Link, StoreUnavailable, StoreUnreachable, redacted
from app.rpc.errors import DomainError
from tests.helpers import redis_server

pytestmark = redis_server.needs_redis


class Refused(DomainError):
    code = 9999


@pytest.fixture
async def link() -> AsyncIterator[Link]:
    link = Link(redis_server.shared().url, redis_server.fresh_prefix(), timeout_s=1)
    await link.open()
    yield link
    await link.close()


async def test_a_refusal_is_raised_as_the_error_the_backend_registered(link: Link) -> None:
    script = link.script('return redis.error_reply("E:Refused:" .. cjson.encode({n = 3}))')
    with pytest.raises(Refused) as caught:
        await link.run(script, errors={"Refused": lambda data: Refused(data=data)})
    assert caught.value.data == {"n": 3}


async def test_a_script_bug_is_not_a_refusal(link: Link) -> None:
    script = link.script('return redis.call("NOSUCHCOMMAND")')
    with pytest.raises(RuntimeError, match="Redis script failed"):
        await link.run(script, errors={"Refused": lambda data: Refused(data=data)})


async def test_a_script_runs_atomically_on_keys_under_one_hash_tag(link: Link) -> None:
    key = link.keyspace("demo")
    script = link.script(
        'redis.call("SET", KEYS[1], ARGV[1]) return redis.call("INCRBY", KEYS[2], ARGV[2])'
    )
    assert await link.run(script, [key("a"), key("b")], ["x", 5]) == 5
    assert await link.command("GET", key("a")) == b"x"


async def test_an_unreachable_redis_is_store_unavailable_within_the_timeout() -> None:
    link = Link(f"redis://127.0.0.1:{redis_server.free_port()}/0", "x", timeout_s=0.5)
    with pytest.raises(StoreUnreachable, match="cannot reach the Redis store"):
        await link.open()
    async with asyncio.timeout(5):
        with pytest.raises(StoreUnavailable) as caught:
            await link.run(link.script("return 1"))
        assert await link.ping() is False
    assert caught.value.code == -32005
    assert "did not answer" in caught.value.data["reason"]
    await link.close()


def test_keys_and_urls() -> None:
    assert Keyspace("rpc-hub", "cart")("cart", "c1") == "{rpc-hub:cart}:cart:c1"
    assert redacted("redis://user:secret@host:6379/0") == "redis://user:***@host:6379/0"
    assert redacted("redis://:secret@host:6379/0") == "redis://***@host:6379/0"
    assert redacted("redis://host:6379/0") == "redis://host:6379/0"


async def test_a_full_redis_is_store_unavailable_not_a_bug(link: Link) -> None:
    await link.command("CONFIG", "SET", "maxmemory", "1")
    try:
        with pytest.raises(StoreUnavailable) as caught:
            await link.run(link.script('return redis.call("SET", KEYS[1], "x")'), ["k"])
    finally:
        await link.command("CONFIG", "SET", "maxmemory", "0")
    assert (
        caught.value.data["reason"]
        == "the store (Redis) is full (maxmemory reached; it never evicts)"
    )
