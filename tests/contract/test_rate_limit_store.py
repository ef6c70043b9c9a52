"""The ``RateLimitStore`` contract: a GCRA allowance per caller, charged a request at a time.

A whole burst fits at once, then the allowance refills at the rate; a request's calls are
charged in order, and the first that does not fit is refused with every call after it, none
of them charged; a call dearer than the burst takes the whole burst; rate 0 is no limit. Every
backend agrees with the pure ``Gcra`` exactly. On Redis, replicas share one allowance per
caller, a charge is one script and a check one read, and a caller is one bounded key that
expires.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.clock import Clock, ManualClock
from app.limits.gcra import Gcra
from app.limits.memory import MemoryRateLimitStore
from app.limits.redis import IDLE_GRACE_MS, RedisRateLimitStore
from app.limits.store import RateLimitStore
from app.stores import StoreContext
from tests.helpers import redis_server
from tests.helpers.backends import OnRedis, on_redis, opened

BACKENDS = [pytest.param(MemoryRateLimitStore, id="memory"), on_redis(RedisRateLimitStore)]
REDIS = OnRedis(RedisRateLimitStore)
Opener = Callable[..., AbstractAsyncContextManager[RateLimitStore]]


def about(seconds: float) -> Any:
    """``seconds``, as near as a float holds it beside an epoch timestamp (1.8e9 s)."""
    return pytest.approx(seconds, abs=1e-6)


class SetClock:
    """A clock a test may set anywhere, backwards too (a replica's clock against another's)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def open_limits(backend: Callable[[StoreContext], Any], clock: ManualClock) -> Opener:
    """Opens a limiter of the test's backend on the test's clock, at a rate and burst."""

    def make(
        rate: float, burst: int, on: Clock | None = None, **overrides: Any
    ) -> AbstractAsyncContextManager[Any]:
        return opened(backend, on or clock, rate_limit=rate, rate_burst=burst, **overrides)

    return make


# ---- the allowance --------------------------------------------------------------------------


async def test_a_whole_burst_fits_at_once_then_one_call_per_interval(
    open_limits: Opener, clock: ManualClock
) -> None:
    async with open_limits(10.0, 5) as limits:
        assert (limits.rate, limits.burst) == (10.0, 5)
        assert await limits.charge("k", [1] * 5) == (5, 0.0)
        refused = await limits.charge("k", [1])
        assert refused.allowed == 0
        assert refused.retry_after_s == about(0.1)
        clock.advance(0.1)
        assert (await limits.charge("k", [1])).allowed == 1
        assert (await limits.charge("k", [1])).allowed == 0


async def test_the_allowance_refills_at_the_rate_up_to_the_burst(
    open_limits: Opener, clock: ManualClock
) -> None:
    async with open_limits(2.0, 4) as limits:
        assert (await limits.charge("k", [1] * 4)).allowed == 4
        clock.advance(1.0)  # two calls' worth
        assert (await limits.charge("k", [1] * 3)).allowed == 2
        clock.advance(60.0)  # far more than a burst's worth: still only a burst
        assert (await limits.charge("k", [1] * 5)).allowed == 4


async def test_the_first_call_that_does_not_fit_stops_the_rest_uncharged(
    open_limits: Opener,
) -> None:
    async with open_limits(1.0, 4) as limits:
        charge = await limits.charge("k", [2, 3, 1])
        assert charge.allowed == 1  # 2 fits, 3 does not, and 1 after it is not even tried
        assert charge.retry_after_s == about(1.0)
        assert (await limits.charge("k", [2])).allowed == 1  # the refused calls cost nothing
        assert (await limits.charge("k", [1])).allowed == 0


async def test_a_call_dearer_than_the_burst_takes_the_whole_burst(
    open_limits: Opener, clock: ManualClock
) -> None:
    async with open_limits(1.0, 3) as limits:
        assert (await limits.charge("k", [50])).allowed == 1
        assert (await limits.charge("k", [1])).allowed == 0
        assert await limits.retry_after("k") == about(1.0)
        clock.advance(3.0)
        assert (await limits.charge("k", [1, 50])).allowed == 1  # 1 fits; 50 (as 3) does not


async def test_retry_after_says_when_one_call_fits_each_caller_apart(
    open_limits: Opener, clock: ManualClock
) -> None:
    async with open_limits(0.5, 2) as limits:
        assert await limits.retry_after("a") == 0
        await limits.charge("a", [1, 1])
        assert await limits.retry_after("a") == about(2.0)
        assert await limits.retry_after("b") == 0
        assert (await limits.charge("b", [1, 1])).allowed == 2
        clock.advance(1.5)
        assert await limits.retry_after("a") == about(0.5)
        clock.advance(0.5)
        assert await limits.retry_after("a") == 0
        assert (await limits.charge("a", [1])).allowed == 1


async def test_rate_0_is_no_limit(open_limits: Opener) -> None:
    async with open_limits(0.0, 1) as limits:
        for _ in range(3):
            assert await limits.charge("k", [1000] * 50) == (50, 0.0)
            assert await limits.retry_after("k") == 0


async def test_a_clock_set_back_does_not_lock_a_caller_out_for_longer_than_a_burst(
    open_limits: Opener,
) -> None:
    wall = SetClock(1000.0)
    async with open_limits(1.0, 2, on=wall) as limits:
        await limits.charge("k", [1, 1])
        wall.now = 2.0
        assert (await limits.charge("k", [1])).allowed == 0
        wall.now = 3.0
        assert (await limits.charge("k", [1])).allowed == 1  # 1 s later, not 998


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rate=st.sampled_from([0.5, 1 / 3, 1.0, 7.0, 100.0]),
    burst=st.integers(1, 20),
    steps=st.lists(
        st.tuples(
            st.floats(-3, 5, allow_nan=False),  # a step back: another replica's clock
            st.lists(st.integers(1, 30), min_size=1, max_size=8),
        ),
        max_size=25,
    ),
)
async def test_every_backend_agrees_with_the_pure_gcra_exactly(
    open_limits: Opener, rate: float, burst: int, steps: list[tuple[float, list[int]]]
) -> None:
    wall = SetClock(1_800_000_000.0)
    gcra = Gcra(rate, burst, max_keys=1)
    async with open_limits(rate, burst, on=wall) as limits:
        for step, costs in steps:
            wall.now += step
            assert await limits.charge("k", costs) == gcra.charge("k", costs, wall.now)
            assert await limits.retry_after("k") == gcra.retry_after("k", wall.now)


# ---- Redis only -------------------------------------------------------------------------------


@pytest.fixture
def commands(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every command a Redis client sends from now on, by name: one round trip each."""
    sent: list[str] = []
    send: Callable[..., Awaitable[Any]] = redis.Redis.execute_command

    async def spy(self: redis.Redis, *args: Any, **options: Any) -> Any:
        sent.append(str(args[0]).upper())
        return await send(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", spy)
    return sent


@pytest.fixture
async def raw() -> AsyncIterator[redis.Redis]:
    """A plain client of the session's redis-server, to look at the keys."""
    client = redis.Redis.from_url(redis_server.shared().url)
    yield client
    await client.aclose()


@redis_server.needs_redis
async def test_replicas_on_one_redis_share_one_allowance(clock: ManualClock) -> None:
    prefix = redis_server.fresh_prefix()
    shared = {"rate_limit": 1.0, "rate_burst": 3, "redis_prefix": prefix}
    async with opened(REDIS, clock, **shared) as one, opened(REDIS, clock, **shared) as two:
        assert (await one.charge("k", [1, 1])).allowed == 2
        assert (await two.charge("k", [1, 1])).allowed == 1
        assert await one.retry_after("k") == about(1.0)
        clock.advance(1.0)
        assert (await two.charge("k", [1])).allowed == 1
        assert (await one.charge("k", [1])).allowed == 0
        assert (await one.charge("other", [1, 1, 1])).allowed == 3
    async with opened(REDIS, clock, rate_limit=1.0, rate_burst=3) as elsewhere:
        assert (await elsewhere.charge("k", [1, 1, 1])).allowed == 3  # another prefix


@redis_server.needs_redis
async def test_a_charge_is_one_script_a_check_one_read_and_rate_0_nothing(
    commands: list[str], clock: ManualClock
) -> None:
    async with opened(REDIS, clock, rate_limit=10.0, rate_burst=5) as limits:
        await limits.charge("k", [1])  # the first run may load the script first
        commands.clear()
        for costs in ([1], [1, 2, 3], [50] * 40):
            await limits.charge("k", costs)
            clock.advance(1.0)
        await limits.retry_after("k")
        assert commands == ["EVALSHA"] * 3 + ["GET"]
    async with opened(REDIS, clock, rate_limit=0.0) as unlimited:
        commands.clear()
        assert await unlimited.charge("k", [1] * 100) == (100, 0.0)
        assert await unlimited.retry_after("k") == 0
        assert commands == []


@redis_server.needs_redis
async def test_a_caller_of_any_length_is_one_short_key_that_expires(
    raw: redis.Redis, clock: ManualClock
) -> None:
    prefix = redis_server.fresh_prefix()
    hostile = "{x}:\n\udcff" + "k" * 100_000
    async with opened(REDIS, clock, rate_limit=0.5, rate_burst=2, redis_prefix=prefix) as limits:
        assert (await limits.charge(hostile, [1, 1, 1])).allowed == 2
        assert (await limits.charge(hostile + "2", [1])).allowed == 1  # another caller
        assert (await limits.charge(hostile, [1])).allowed == 0
    keys = [key async for key in raw.scan_iter(match=f"{{{prefix}:limits:*")]
    assert len(keys) == 2
    for key in keys:
        assert len(key) < 100
        # Gone once the allowance is whole again (4 s for the first caller), plus the grace.
        assert 0 < await raw.pttl(key) <= 4000 + IDLE_GRACE_MS


@redis_server.needs_redis
async def test_while_redis_is_away_each_process_limits_on_its_own(
    clock: ManualClock, tmp_path: Path
) -> None:
    """An unreachable Redis must not refuse every call: calls that need no store go on."""
    server = redis_server.RedisServer(tmp_path).start()
    try:
        async with opened(
            REDIS, clock, store=server.url, rate_limit=1.0, rate_burst=3, redis_timeout_s=0.5
        ) as limits:
            assert (await limits.charge("k", [1])).allowed == 1
            server.kill()
            assert (await limits.charge("k", [1] * 5)).allowed == 3  # a fresh local allowance
            assert await limits.retry_after("k") > 0
    finally:
        server.kill()
