"""How long a task may live and how often it may run, through the Protocol only: releases
count as attempts, the attempt history is capped, and a task that waits too long to run
gives up (``dead``, reason ``pending_ttl``), cancelling its dependents.

The state machine in ``test_task_store.py`` checks "attempts never exceed max_attempts" and
the capped history after every step; here are the worked examples.
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from app.clock import ManualClock
from app.rpc.access import Principal
from app.tasks.errors import TooLate
from app.tasks.memory import MemoryTaskStore
from app.tasks.models import Outcome, TaskState
from app.tasks.redis import RedisTaskStore
from app.tasks.state import FREE_RELEASES
from app.tasks.store import TaskStore
from tests.contract.test_task_store import Factory
from tests.helpers.backends import on_redis, opened
from tests.helpers.tasks import Arrivals, TaskBackend

BACKENDS = [pytest.param(MemoryTaskStore, id="memory"), on_redis(RedisTaskStore)]
ALICE = Principal("key:alice", "alice", frozenset({"tasks:submit", "tasks:work"}))
DAY = 86_400.0


async def worker(tasks: TaskStore, capacity: int = 5) -> str:
    return (await tasks.register(ALICE, "w", ["compute"], ["default"], capacity)).worker_id


async def test_claim_and_release_cycles_end_at_max_attempts(tasks: TaskStore) -> None:
    task_id = (await tasks.submit(ALICE, "compute", max_attempts=3)).task_id
    worker_id = await worker(tasks)
    for _ in range(2 + 3):  # the free releases, then one per attempt
        [claimed] = await tasks.claim(ALICE, worker_id, 1, 0)
        view = await tasks.release(ALICE, task_id, claimed.lease_id)
    assert (view.state, view.reason, view.attempt) == (TaskState.DEAD, "released", 5)
    assert await tasks.claim(ALICE, worker_id, 1, 0) == []
    assert (await tasks.requeue(ALICE, task_id)).state is TaskState.PENDING  # as any dead one


async def test_a_deregistration_charges_the_tasks_it_gives_back(tasks: TaskStore) -> None:
    task_id = (await tasks.submit(ALICE, "compute", max_attempts=1)).task_id
    for _ in range(3):  # two are free, as for any release; the third is charged
        await tasks.claim(ALICE, worker_id := await worker(tasks), 1, 0)
        await tasks.deregister(ALICE, worker_id)
    view = await tasks.get(ALICE, task_id)
    assert (view.state, view.reason, view.attempt) == (TaskState.DEAD, "released", 3)


async def use_up_free_releases(tasks: TaskStore, task_id: str, worker_id: str) -> None:
    for _ in range(FREE_RELEASES):
        [claimed] = await tasks.claim(ALICE, worker_id, 1, 0)
        await tasks.release(ALICE, task_id, claimed.lease_id)


async def test_a_release_while_the_server_drains_is_free(tasks: TaskBackend) -> None:
    task_id = (await tasks.submit(ALICE, "compute", max_attempts=1)).task_id
    worker_id = await worker(tasks)
    await use_up_free_releases(tasks, task_id, worker_id)
    [claimed] = await tasks.claim(ALICE, worker_id, 1, 0)
    tasks.drain()  # the server asked its workers to give their tasks back
    view = await tasks.release(ALICE, task_id, claimed.lease_id)
    assert (view.state, view.attempts[-1].outcome) == (TaskState.PENDING, Outcome.RELEASED)


async def test_a_claim_whose_caller_went_away_gives_back_for_free(tasks: TaskStore) -> None:
    arrivals = Arrivals(tasks)
    worker_id = await worker(tasks)
    claim = asyncio.create_task(tasks.claim(ALICE, worker_id, 1, 10))
    await arrivals.until(lambda: arrivals.claims == 1)
    task_id = (await tasks.submit(ALICE, "compute", max_attempts=1)).task_id
    claim.cancel()  # served, but no worker ever saw the task
    with pytest.raises(asyncio.CancelledError):
        await claim
    assert (await tasks.get(ALICE, task_id)).state is TaskState.PENDING


@hypothesis_settings(max_examples=20, deadline=None)
@given(cycles=st.integers(1, 12), kept=st.integers(1, 5))
def test_views_keep_the_newest_attempts_and_count_them_all(
    backend: Factory, cycles: int, kept: int
) -> None:
    async def scenario() -> None:
        async with opened(backend, task_attempts_kept=kept) as tasks:
            task_id = (await tasks.submit(ALICE, "compute", max_attempts=100)).task_id
            worker_id = await worker(tasks)
            for _ in range(cycles):
                [claimed] = await tasks.claim(ALICE, worker_id, 1, 0)
                await tasks.release(ALICE, task_id, claimed.lease_id)
            view = await tasks.get(ALICE, task_id)
            assert view.attempt == cycles
            numbers = [a.number for a in view.attempts]
            assert numbers == list(range(max(1, cycles - kept + 1), cycles + 1))
            # An attempt dropped from the history is fenced out like any other old lease.
            [claimed] = await tasks.claim(ALICE, worker_id, 1, 0)
            assert claimed.attempt == cycles + 1

    asyncio.run(scenario())


@pytest.mark.parametrize("delay_s", [0, DAY], ids=["pending", "scheduled"])
async def test_a_task_that_waits_too_long_ends_dead_and_cancels_its_dependents(
    backend: Factory, clock: ManualClock, delay_s: float
) -> None:
    async with opened(backend, clock, task_pending_ttl_s=2 * DAY) as tasks:
        task_id = (await tasks.submit(ALICE, "compute", delay_s=delay_s)).task_id
        child = (await tasks.submit(ALICE, "compute", depends_on=[task_id])).task_id
        clock.advance(2 * DAY - 1)
        assert not (await tasks.get(ALICE, task_id)).state.terminal
        clock.advance(1)
        view = await tasks.get(ALICE, task_id)
        assert (view.state, view.reason, view.finished_at) == (
            TaskState.DEAD,
            "pending_ttl",
            clock.time(),
        )
        dependent = await tasks.get(ALICE, child)
        assert (dependent.state, dependent.reason) == (TaskState.CANCELLED, "upstream_failed")
        assert (await tasks.requeue(ALICE, task_id)).state is TaskState.PENDING  # a fresh TTL
        clock.advance(2 * DAY - 1)
        assert (await tasks.get(ALICE, task_id)).state is TaskState.PENDING


async def test_a_blocked_task_gives_up_too(backend: Factory, clock: ManualClock) -> None:
    async with opened(backend, clock, task_pending_ttl_s=100) as tasks:
        blocker = (await tasks.submit(ALICE, "compute")).task_id
        worker_id = await worker(tasks)
        [claimed] = await tasks.claim(ALICE, worker_id, 1, 0)  # running: it does not give up
        task_id = (await tasks.submit(ALICE, "compute", depends_on=[blocker])).task_id
        for _ in range(5):
            clock.advance(20)
            await tasks.heartbeat(ALICE, blocker, claimed.lease_id, None)
        view = await tasks.get(ALICE, task_id)
        assert (view.state, view.reason) == (TaskState.DEAD, "pending_ttl")
        assert (await tasks.get(ALICE, blocker)).state is TaskState.RUNNING


async def test_a_running_task_is_let_finish_but_not_retried_past_its_ttl(
    backend: Factory, clock: ManualClock
) -> None:
    async with opened(backend, clock, task_pending_ttl_s=100) as tasks:
        task_id = (await tasks.submit(ALICE, "compute", timeout_s=150)).task_id
        [claimed] = await tasks.claim(ALICE, await worker(tasks), 1, 0)
        for _ in range(6):  # past the TTL, but it runs: its attempt goes on
            clock.advance(20)
            await tasks.heartbeat(ALICE, task_id, claimed.lease_id, None)
        assert (await tasks.get(ALICE, task_id)).state is TaskState.RUNNING
        view = await tasks.fail(ALICE, task_id, claimed.lease_id, "boom", True)
        assert (view.state, view.reason) == (TaskState.DEAD, "pending_ttl")


@pytest.mark.parametrize("option", ["delay_s", "run_at"])
async def test_a_run_time_past_the_ttl_is_refused(
    backend: Factory, clock: ManualClock, option: str
) -> None:
    async with opened(backend, clock, task_pending_ttl_s=100) as tasks:
        late_run = {"delay_s": 100} if option == "delay_s" else {"run_at": clock.time() + 100}
        with pytest.raises(TooLate) as late:
            await tasks.submit(ALICE, "compute", **late_run)  # type: ignore[arg-type]
        assert (late.value.what, late.value.wait_s, late.value.limit_s) == (option, 100, 100)
        await tasks.submit(ALICE, "compute", delay_s=99.5)
        assert (await tasks.stats(ALICE)).total == 1
