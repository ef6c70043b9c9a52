"""What only the Redis chat store shows: replicas sharing rooms, names, caps and send rates,
and a restart keeping them. The ChatStore contract suite runs on Redis too."""

from __future__ import annotations

import pytest

from app.chat.errors import NameTaken, SendingTooFast
from app.chat.redis import RedisChatStore
from app.clock import ManualClock
from app.rpc.errors import Overloaded
from tests.helpers import redis_server
from tests.helpers.backends import OnRedis, opened

pytestmark = redis_server.needs_redis

ON_REDIS = OnRedis(RedisChatStore)


async def test_replicas_share_rooms_names_caps_and_send_rates(clock: ManualClock) -> None:
    prefix = redis_server.fresh_prefix()
    async with (
        opened(ON_REDIS, clock, redis_prefix=prefix, chat_max_rooms=1) as one,
        opened(ON_REDIS, clock, redis_prefix=prefix, chat_max_rooms=1) as two,
    ):
        await one.join("lobby", "p_ada:s1", "p_ada", "Ada")
        with pytest.raises(NameTaken):
            await two.join("lobby", "p_grace:s1", "p_grace", "ADA")
        with pytest.raises(Overloaded):
            await two.join("other", "p_grace:s1", "p_grace", "Grace")
        for store in (one, two, one, two, one):
            await store.admit("lobby", "p_ada:s1")
        with pytest.raises(SendingTooFast):
            await two.admit("lobby", "p_ada:s1")


async def test_a_restart_keeps_the_rooms(clock: ManualClock) -> None:
    prefix = redis_server.fresh_prefix()
    async with opened(ON_REDIS, clock, redis_prefix=prefix) as before:
        joined = await before.join("lobby", "p_ada:s1", "p_ada", "Ada")
    async with opened(ON_REDIS, clock, redis_prefix=prefix) as after:
        assert (await after.members("lobby")).members == [joined.member]
