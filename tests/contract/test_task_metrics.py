"""The task queue's metrics, on every backend: tasks by state and queue, the oldest pending
task's age, workers online, and the counts of lapsed leases, retries and dead tasks, read
from what the store keeps (never a scan), and agreeing with a full count after any steps.
"""

from __future__ import annotations

from collections import Counter

import pytest
import redis.asyncio as redis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis.stateful import invariant, run_state_machine_as_test

from app.clock import ManualClock
from app.redis_link import Keyspace
from app.rpc.access import ADMIN, Principal
from app.tasks.memory import MemoryTaskStore
from app.tasks.metrics import OTHER, QUEUE_LABELS
from app.tasks.models import Health, TaskState
from app.tasks.redis import RedisTaskStore
from app.tasks.store import TaskStore
from tests.contract.test_task_redis import script_calls
from tests.contract.test_task_store import ALICE, Factory, TaskMachine
from tests.helpers import redis_server
from tests.helpers.backends import OnRedis, on_redis, opened
from tests.helpers.samples import Series, labels_of, measure, series, value
from tests.helpers.tasks import TASK_SETTINGS

BACKENDS = [pytest.param(MemoryTaskStore, id="memory"), on_redis(RedisTaskStore)]
ROOT = Principal("key:root", "root", frozenset({ADMIN}))


def held(found: Series, queue: str) -> dict[str, float]:
    """The queue's tasks by state, the states it holds none of left out."""
    return {
        state: count
        for state in TaskState
        if (count := value(found, "rpc_tasks", state=state.value, queue=queue))
    }


def counters(found: Series) -> tuple[float, float, float]:
    return (
        value(found, "rpc_tasks_lease_expiries_total"),
        value(found, "rpc_tasks_retries_total"),
        value(found, "rpc_tasks_dead_total"),
    )


async def test_an_empty_queue_reports_nothing_held_and_nothing_counted(
    tasks: TaskStore,
) -> None:
    found = await measure(tasks)
    assert labels_of(found, "rpc_tasks", "queue") == set()
    assert value(found, "rpc_workers_online") == 0
    assert counters(found) == (0, 0, 0)


async def test_tasks_are_counted_by_state_and_queue_with_the_oldest_pending_age(
    tasks: TaskStore, clock: ManualClock
) -> None:
    await tasks.submit(ALICE, "compute")
    clock.advance(5)
    await tasks.submit(ALICE, "compute")
    await tasks.submit(ALICE, "compute", queue="mail", delay_s=60)
    await tasks.register(ALICE, "w", ["compute"], ["default"], 1)
    clock.advance(2)
    found = await measure(tasks)
    assert held(found, "default") == {"pending": 2}
    assert held(found, "mail") == {"scheduled": 1}
    assert value(found, "rpc_tasks_oldest_pending_age_seconds", queue="default") == 7
    assert value(found, "rpc_tasks_oldest_pending_age_seconds", queue="mail") == 0
    assert value(found, "rpc_workers_online") == 1


async def test_lapsed_leases_retries_and_dead_tasks_are_counted(
    tasks: TaskStore, clock: ManualClock
) -> None:
    lapsing = (await tasks.submit(ALICE, "compute", max_attempts=2)).task_id
    worker_id = (await tasks.register(ALICE, "w", ["compute"], ["default"], 5)).worker_id
    await tasks.claim(ALICE, worker_id, 1, 0)
    clock.advance(20)
    await tasks.worker_heartbeat(ALICE, worker_id, [])  # alive, but the lease is not renewed
    clock.advance(10)  # it lapses: a retry after its backoff
    assert counters(await measure(tasks)) == (1, 1, 0)
    clock.advance(2)
    [claimed] = await tasks.claim(ALICE, worker_id, 1, 0)
    await tasks.fail(ALICE, lapsing, claimed.lease_id, "boom", True)  # its last attempt
    found = await measure(tasks)
    assert counters(found) == (1, 1, 1)
    assert held(found, "default") == {"dead": 1}
    await tasks.requeue(ALICE, lapsing)
    assert held(await measure(tasks), "default") == {"pending": 1}


async def test_a_worker_gone_quiet_is_not_online(tasks: TaskStore, clock: ManualClock) -> None:
    await tasks.register(ALICE, "w", ["compute"], ["default"], 1)
    clock.advance(30)  # three heartbeat intervals of silence
    assert value(await measure(tasks), "rpc_workers_online") == 0


async def test_forgotten_tasks_leave_the_counts(tasks: TaskStore, clock: ManualClock) -> None:
    task_id = (await tasks.submit(ALICE, "compute", result_ttl_s=10)).task_id
    await tasks.cancel(ALICE, task_id)
    assert held(await measure(tasks), "default") == {"cancelled": 1}
    clock.advance(10)
    assert labels_of(await measure(tasks), "rpc_tasks", "queue") == set()


async def test_the_largest_queues_get_labels_and_the_rest_are_summed(
    tasks: TaskStore, clock: ManualClock
) -> None:
    for n in range(QUEUE_LABELS + 5):
        for _ in range(1 + (n < QUEUE_LABELS)):  # the first 50 queues hold two tasks
            await tasks.submit(ALICE, "compute", queue=f"q{n:02}")
        clock.advance(1)
    await tasks.submit(ALICE, "compute", queue=OTHER, delay_s=5)  # a caller's queue so named
    found = await measure(tasks)
    queues = labels_of(found, "rpc_tasks", "queue")
    assert queues == {f"q{n:02}" for n in range(QUEUE_LABELS)} | {OTHER}
    assert held(found, OTHER) == {"pending": 5, "scheduled": 1}
    assert held(found, "q07") == {"pending": 2}
    assert labels_of(found, "rpc_tasks_oldest_pending_age_seconds", "queue") == queues
    # The others' oldest is q50's, submitted after the first 50 queues' seconds had passed.
    assert value(found, "rpc_tasks_oldest_pending_age_seconds", queue=OTHER) == 5
    assert value(found, "rpc_tasks_oldest_pending_age_seconds", queue="q00") == 55


@redis_server.needs_redis
async def test_redis_builds_its_census_once_for_tasks_stored_before_it(
    clock: ManualClock,
) -> None:
    shared = {"store": redis_server.shared().url, "redis_prefix": redis_server.fresh_prefix()}
    async with opened(OnRedis(RedisTaskStore), clock, **TASK_SETTINGS, **shared) as first:
        await first.submit(ALICE, "compute")
        await first.submit(ALICE, "compute", queue="mail", delay_s=5)
        before = await measure(first)
    # As a version without the census leaves Redis: the tasks, and none of their counts.
    keys = Keyspace(shared["redis_prefix"], "tasks")
    names = [
        "census",
        "census:states",
        "census:queues",
        "census:since",
        "oldest",
        "pending:default",
    ]
    client = redis.Redis.from_url(shared["store"])
    try:
        assert await client.delete(*(keys(name) for name in names)) == len(names)
    finally:
        await client.aclose()
    async with opened(OnRedis(RedisTaskStore), clock, **TASK_SETTINGS, **shared) as second:
        assert await measure(second) == before


@redis_server.needs_redis
async def test_redis_measures_in_one_script_call(clock: ManualClock) -> None:
    async with opened(OnRedis(RedisTaskStore), clock, **TASK_SETTINGS) as tasks:
        for n in range(QUEUE_LABELS + 2):
            await tasks.submit(ALICE, "compute", queue=f"q{n}")
        probe = redis.Redis.from_url(redis_server.shared().url)
        try:
            samples, sent = await script_calls(probe, tasks.measure())
        finally:
            await probe.aclose()
        assert sent == {"fcall": 1}
        assert len(labels_of(series(samples), "rpc_tasks", "queue")) == QUEUE_LABELS + 1


class CensusMachine(TaskMachine):
    """The task store's state machine, with the metrics checked against a full count."""

    @invariant()
    def the_metrics_agree_with_a_full_count(self) -> None:
        found = self.run(measure(self.store))
        views = self.run(self.store.list_tasks(ROOT, limit=500)).tasks
        workers = self.run(self.store.list_workers(ROOT))
        by_state = Counter(view.state.value for view in views)
        measured = {
            dict(labels)["state"]: count
            for (name, labels), count in found.items()
            if name == "rpc_tasks" and count
        }
        assert measured == dict(by_state)
        pending = [view.ready_at for view in views if view.state is TaskState.PENDING]
        if views:
            age = value(found, "rpc_tasks_oldest_pending_age_seconds", queue="default")
            assert age == (self.clock.time() - min(pending) if pending else 0)
        online = sum(1 for worker in workers if worker.health is Health.ONLINE)
        assert value(found, "rpc_workers_online") == online


def test_the_metrics_agree_with_a_full_count_after_every_step(backend: Factory) -> None:
    run_state_machine_as_test(
        lambda: CensusMachine(backend),
        settings=hypothesis_settings(
            max_examples=60,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
