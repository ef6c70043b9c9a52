"""What only the Redis task store shows: replicas sharing one queue (a long-poll on one served
by work on another, a lapse acted on once), a restart keeping everything, and each
single-task operation being one script call.

The TaskStore contract suites run on Redis too; these add what one store cannot show. Two
``RedisTaskStore``s on one Redis and key prefix are two replicas.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any, TypeVar

import pytest
import redis.asyncio as redis

from app.clock import ManualClock
from app.rpc.access import Principal
from app.tasks.models import Outcome, TaskState
from app.tasks.redis import RedisTaskStore
from tests.helpers import redis_server
from tests.helpers.backends import OnRedis, opened
from tests.helpers.tasks import TASK_SETTINGS, Arrivals, TaskBackend

pytestmark = redis_server.needs_redis

ALICE = Principal("key:alice", "alice", frozenset({"tasks:submit", "tasks:work"}))
Replica = Callable[..., Awaitable[TaskBackend]]
T = TypeVar("T")


@pytest.fixture
async def replica(clock: ManualClock) -> AsyncIterator[Replica]:
    """Open replicas of one queue (one Redis, one prefix) on the test's clock."""
    prefix = redis_server.fresh_prefix()
    async with AsyncExitStack() as stack:

        async def open_(**overrides: Any) -> TaskBackend:
            return await stack.enter_async_context(on_prefix(clock, prefix, **overrides))

        yield open_


def on_prefix(
    clock: ManualClock, prefix: str, **overrides: Any
) -> AbstractAsyncContextManager[RedisTaskStore]:
    settings = {**TASK_SETTINGS, **overrides}
    url = redis_server.shared().url
    return opened(OnRedis(RedisTaskStore), clock, store=url, redis_prefix=prefix, **settings)


async def worker(tasks: TaskBackend, capacity: int = 1) -> str:
    return (await tasks.register(ALICE, "w", ["compute"], ["default"], capacity)).worker_id


async def test_a_claim_waiting_on_one_replica_is_served_by_a_submit_on_another(
    replica: Replica,
) -> None:
    a, b = await replica(), await replica()
    worker_id = await worker(a)
    arrivals = Arrivals(a)
    claim = asyncio.create_task(a.claim(ALICE, worker_id, 1, 10))
    await arrivals.until(lambda: arrivals.claims == 1)
    task_id = (await b.submit(ALICE, "compute", "across")).task_id
    async with asyncio.timeout(5):  # well before the claim's own deadline
        [claimed] = await claim
    assert (claimed.task_id, claimed.payload) == (task_id, "across")


async def test_a_get_waiting_on_one_replica_returns_when_the_task_finishes_on_another(
    replica: Replica,
) -> None:
    a, b = await replica(), await replica()
    task_id = (await a.submit(ALICE, "compute")).task_id
    arrivals = Arrivals(a)
    get = asyncio.create_task(a.get(ALICE, task_id, 30))
    await arrivals.until(lambda: arrivals.watched(task_id))
    [claimed] = await b.claim(ALICE, await worker(b), 1, 0)
    await b.complete(ALICE, task_id, claimed.lease_id, 42)
    async with asyncio.timeout(5):
        view = await get
    assert (view.state, view.result) == (TaskState.SUCCEEDED, 42)


async def test_a_lapsed_lease_is_acted_on_once_whichever_replicas_sweep(
    replica: Replica, clock: ManualClock
) -> None:
    a, b = await replica(task_lease_ttl_s=5), await replica(task_lease_ttl_s=5)
    task_id = (await a.submit(ALICE, "compute", max_attempts=2)).task_id
    await a.claim(ALICE, await worker(a), 1, 0)
    clock.advance(5)
    # Both sweep at once; had both acted, the task would have used up its two attempts.
    await asyncio.gather(a.stats(ALICE), b.stats(ALICE), a.list_tasks(ALICE), b.stats(ALICE))
    view = await b.get(ALICE, task_id)
    assert (view.state, [t.outcome for t in view.attempts]) == (
        TaskState.SCHEDULED,
        [Outcome.EXPIRED],
    )
    assert (await a.stats(ALICE)).by_state["scheduled"] == 1


async def test_a_restart_keeps_tasks_leases_and_workers(clock: ManualClock) -> None:
    prefix = redis_server.fresh_prefix()
    async with on_prefix(clock, prefix) as before:
        first = (await before.submit(ALICE, "compute", 1)).task_id
        second = (await before.submit(ALICE, "compute", 2, idempotency_key="k")).task_id
        worker_id = await worker(before, capacity=2)
        [claimed] = await before.claim(ALICE, worker_id, 1, 0)
        kept = (await before.get(ALICE, first), await before.list_workers(ALICE))
    async with on_prefix(clock, prefix) as after:
        assert (await after.get(ALICE, first), await after.list_workers(ALICE)) == kept
        assert (await after.submit(ALICE, "compute", 2, idempotency_key="k")).deduplicated
        done = await after.complete(ALICE, first, claimed.lease_id, "kept")  # the same lease
        assert (done.state, done.result) == (TaskState.SUCCEEDED, "kept")
        [again] = await after.claim(ALICE, worker_id, 1, 0)
        assert again.task_id == second


async def script_calls(probe: redis.Redis, operation: Awaitable[T]) -> tuple[T, dict[str, int]]:
    """What ``operation`` answers, and the script calls Redis was sent for it, by command."""

    async def counts() -> dict[str, int]:
        stats = await probe.info("commandstats")
        return {name.removeprefix("cmdstat_"): int(entry["calls"]) for name, entry in stats.items()}

    before = await counts()
    answer = await operation
    after = await counts()
    # What the scripts run is counted too, so only the commands that call scripts are kept.
    sent = {name: after.get(name, 0) - before.get(name, 0) for name in ("fcall", "function|load")}
    return answer, {name: n for name, n in sent.items() if n}


async def test_each_single_task_operation_is_one_script_call(replica: Replica) -> None:
    tasks = await replica()
    worker_id = await worker(tasks)
    probe = redis.Redis.from_url(redis_server.shared().url)
    try:
        for _ in range(2):  # the first round may load the scripts
            submission, submit = await script_calls(probe, tasks.submit(ALICE, "compute", 1))
            [claimed], claim = await script_calls(probe, tasks.claim(ALICE, worker_id, 1, 0))
            report = tasks.complete(ALICE, claimed.task_id, claimed.lease_id, 2)
            done, complete = await script_calls(probe, report)
        assert claimed.task_id == submission.task_id and done.state is TaskState.SUCCEEDED
        assert (submit, claim, complete) == ({"fcall": 1}, {"fcall": 1}, {"fcall": 1})
    finally:
        await probe.aclose()
