"""What only the Redis event store shows: replicas hearing each other's events, listeners
outliving a Redis restart, -32005 while Redis is away, and what a topic is in Redis.

The EventStore contract suite runs on Redis too; these add what one store cannot show. Two
``RedisEventStore``s on one Redis and key prefix are two replicas.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis

from app.clock import ManualClock
from app.events.models import Event, Position
from app.events.redis import IDLE_TTL_S, RedisEventStore
from app.redis_link import StoreUnavailable
from tests.helpers import redis_server
from tests.helpers.backends import OnRedis, opened
from tests.helpers.events import Heard

pytestmark = redis_server.needs_redis

REDIS = OnRedis(RedisEventStore)


def replica(
    clock: ManualClock, url: str, prefix: str, **overrides: Any
) -> AbstractAsyncContextManager[RedisEventStore]:
    return opened(REDIS, clock, store=url, redis_prefix=prefix, **overrides)


class FeedLog(logging.Handler):
    """What ``app.events`` logs, and a way to wait for a line."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[tuple[int, str]] = []
        self._changed = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.levelno, record.getMessage()))
        self._changed.set()

    def count(self, start: str) -> int:
        return sum(line.startswith(start) for _, line in self.lines)

    async def until(self, start: str, count: int) -> None:
        async with asyncio.timeout(15):
            while self.count(start) < count:
                self._changed.clear()
                await self._changed.wait()


@pytest.fixture
def feed_log() -> Iterator[FeedLog]:
    logger = logging.getLogger("app.events")
    handler, level = FeedLog(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.fixture
async def raw() -> AsyncIterator[redis.Redis]:
    """A plain client of the session's redis-server, to look at the keys."""
    client = redis.Redis.from_url(redis_server.shared().url)
    yield client
    await client.aclose()


async def test_an_event_published_on_one_replica_reaches_the_listeners_of_another(
    clock: ManualClock,
) -> None:
    url, prefix = redis_server.shared().url, redis_server.fresh_prefix()
    async with replica(clock, url, prefix) as one, replica(clock, url, prefix) as two:
        on_one, on_two = Heard(), Heard()
        one.listen("room", on_one)
        two.listen("room", on_two)
        for n, store in enumerate([one, two, two, one]):
            await store.publish("room", n)
        expected = [Event("room", n + 1, n) for n in range(4)]
        assert await on_one.until(4) == expected  # in offset order, whoever published
        assert await on_two.until(4) == expected
        assert (await one.replay("room", None)).position == (
            await two.replay("room", None)
        ).position
    async with replica(clock, url, redis_server.fresh_prefix()) as elsewhere:
        assert await elsewhere.history("room", limit=5) == []  # another prefix, another topic


async def test_a_listener_outlives_a_redis_restart(
    clock: ManualClock, tmp_path: Path, feed_log: FeedLog
) -> None:
    server = redis_server.RedisServer(tmp_path).start()  # no persistence: a restart loses all
    prefix = redis_server.fresh_prefix()
    try:
        async with (
            replica(clock, server.url, prefix, redis_timeout_s=0.5) as one,
            replica(clock, server.url, prefix, redis_timeout_s=0.5) as two,
        ):
            heard = Heard()
            one.listen("room", heard)
            await two.publish("room", "before")
            await heard.until(1)
            position = (await one.replay("room", None)).position
            server.stop()
            await feed_log.until("events: lost the pub/sub connection", 2)
            server.start()
            await feed_log.until("events: subscribed again", 2)
            after = await two.publish("room", "after")
            assert await heard.until(2) == [Event("room", 1, "before"), Event("room", 1, "after")]
            assert after.offset == 1  # that Redis forgot the topic: it begins again...
            replay = await one.replay("room", position)
            assert not replay.recovered  # ...in a new epoch, so the old position does not hold
            assert replay.position.epoch != position.epoch
    finally:
        server.stop()
    # Once each when lost and when found, however many attempts it took.
    assert feed_log.count("events: lost") == feed_log.count("events: subscribed again") == 2


async def test_while_redis_is_away_every_call_is_store_unavailable_within_the_timeout(
    clock: ManualClock, tmp_path: Path
) -> None:
    server = redis_server.RedisServer(tmp_path).start()
    try:
        async with replica(
            clock, server.url, redis_server.fresh_prefix(), redis_timeout_s=0.5
        ) as events:
            await events.publish("t", 1)
            server.kill()
            calls: list[Callable[[], Awaitable[object]]] = [
                lambda: events.publish("t", 2),
                lambda: events.replay("t", Position(epoch="e", offset=1)),
                lambda: events.history("t", limit=5),
            ]
            async with asyncio.timeout(10):
                for call in calls:
                    with pytest.raises(StoreUnavailable) as caught:
                        await call()
                    assert caught.value.code == -32005
    finally:
        server.kill()


async def test_a_topic_is_three_short_keys_under_one_hash_tag_that_expire(
    raw: redis.Redis, clock: ManualClock
) -> None:
    prefix = redis_server.fresh_prefix()
    odd = "room:{x}\n\udcff" + "k" * 300
    async with opened(REDIS, clock, redis_prefix=prefix, events_history=2) as events:
        for n in range(3):
            await events.publish("room:1", n)
            await events.publish(odd, n)
        await events.replay("quiet", None)  # a replay gives a topic an epoch, and a TTL
    keys = sorted([key async for key in raw.scan_iter(match=f"{{{prefix}:events:*")])
    assert len(keys) == 7
    assert len({key.partition(b"}")[0] for key in keys}) == 3  # one hash tag per topic
    assert f"{{{prefix}:events:room:1}}:log".encode() in keys
    for key in keys:
        assert len(key) < 100
        assert 0 < await raw.ttl(key) <= IDLE_TTL_S
        if key.endswith(b":log"):
            assert await raw.xlen(key) == 2  # trimmed exactly


async def test_publish_and_replay_are_one_script_call_each(
    clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []
    send: Callable[..., Awaitable[Any]] = redis.Redis.execute_command

    async def spy(self: redis.Redis, *args: Any, **options: Any) -> Any:
        sent.append(str(args[0]).upper())
        return await send(self, *args, **options)

    async with opened(REDIS, clock) as events:
        await events.publish("t", 0)  # the first runs may load the scripts
        await events.replay("t", None)
        monkeypatch.setattr(redis.Redis, "execute_command", spy)
        await events.publish("t", 1)
        await events.replay("t", Position(epoch="e", offset=0))
        await events.history("t", limit=5)
        await events.history("t", since=0, limit=5)
    assert sent == ["EVALSHA", "EVALSHA", "XREVRANGE", "XRANGE"]
