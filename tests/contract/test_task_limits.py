"""The TaskStore's bounds on what it stores: the byte budget, per-principal quotas, the task
cap and the result cache, through the Protocol only.

Worked examples first, then a hypothesis state machine: whatever several principals submit,
complete and fail, the JSON bytes stored (as the views show them) never exceed the budget,
no principal holds more tasks than its quota, and a refusal is always justified by what is
stored and changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from contextlib import AsyncExitStack
from typing import Any, TypeVar

import orjson
import pytest
from hypothesis import HealthCheck, event, target
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from app.clock import ManualClock
from app.rpc.access import ADMIN, Principal
from app.rpc.errors import Overloaded, QuotaExceeded
from app.tasks.errors import QueueFull, TaskNotFound, TooLarge
from app.tasks.memory import MemoryTaskStore
from app.tasks.models import TaskState, TaskView
from app.tasks.redis import RedisTaskStore
from app.tasks.store import TaskStore
from tests.contract.test_task_store import Factory
from tests.helpers.backends import on_redis, opened

BACKENDS = [pytest.param(MemoryTaskStore, id="memory"), on_redis(RedisTaskStore)]
WORK = frozenset({"tasks:submit", "tasks:work"})
ALICE = Principal("key:alice", "alice", WORK)
BOB = Principal("key:bob", "bob", WORK)
ADMIN_KEY = Principal("key:root", "root", frozenset({ADMIN}))
MIB = 1024 * 1024
BIG = "x" * 60_000
"""60,002 bytes of JSON: 13 fit in 3/4 of a 1 MiB budget, the share submits may fill."""
T = TypeVar("T")


def stored(view: TaskView) -> int:
    """The bytes a task's payload, result and error take, as JSON."""
    return sum(len(orjson.dumps(part)) for part in (view.payload, view.result, view.error))


async def everything(tasks: TaskStore) -> list[TaskView]:
    page = await tasks.list_tasks(ADMIN_KEY, limit=500)
    assert page.next_cursor is None
    return page.tasks


async def run_one(tasks: TaskStore, caller: Principal, result: Any) -> TaskView:
    """Claim the next ready task with a fresh worker of ``caller``'s and complete it."""
    worker_id = (await tasks.register(caller, "w", ["compute"], ["default"], 1)).worker_id
    [claimed] = await tasks.claim(caller, worker_id, 1, 0)
    return await tasks.complete(caller, claimed.task_id, claimed.lease_id, result)


async def test_submits_fill_three_quarters_of_the_byte_budget(backend: Factory) -> None:
    async with opened(backend, task_max_bytes=MIB) as tasks:
        for _ in range(13):
            await tasks.submit(ALICE, "compute", BIG)
        before = await everything(tasks)
        with pytest.raises(Overloaded) as full:
            await tasks.submit(BOB, "compute", BIG)
        # The size counts the task's null result and error too (4 bytes of JSON each).
        assert full.value.data == {"resource": "task_bytes", "limit": 3 * MIB // 4, "size": 60_010}
        assert await everything(tasks) == before
        await tasks.submit(BOB, "compute", "small")  # what still fits is taken


async def test_a_result_that_does_not_fit_is_refused_and_the_task_keeps_running(
    backend: Factory, clock: ManualClock
) -> None:
    async with opened(backend, clock, task_max_bytes=MIB) as tasks:
        ids = [(await tasks.submit(ALICE, "compute", BIG, result_ttl_s=10)).task_id for _ in "ab"]
        for _ in range(11):
            await tasks.submit(ALICE, "compute", BIG, result_ttl_s=100)
        await run_one(tasks, ALICE, BIG)  # the last quarter is for results: four fit
        for _ in range(3):
            await run_one(tasks, ALICE, BIG)
        worker_id = (await tasks.register(ALICE, "w", ["compute"], ["default"], 1)).worker_id
        [claimed] = await tasks.claim(ALICE, worker_id, 1, 0)
        with pytest.raises(Overloaded) as full:
            await tasks.complete(ALICE, claimed.task_id, claimed.lease_id, BIG)
        assert full.value.data == {"resource": "task_bytes", "limit": MIB, "size": 59_998}
        view = await tasks.get(ALICE, claimed.task_id)
        assert view.state is TaskState.RUNNING and view.attempts[-1].outcome is None
        clock.advance(10)  # the first two results expire, and their bytes with them
        await tasks.heartbeat(ALICE, claimed.task_id, claimed.lease_id, None)
        for task_id in ids:
            with pytest.raises(TaskNotFound):
                await tasks.get(ALICE, task_id)
        done = await tasks.complete(ALICE, claimed.task_id, claimed.lease_id, BIG)
        assert done.state is TaskState.SUCCEEDED


async def test_errors_are_limited_as_results_are(backend: Factory) -> None:
    async with opened(backend, task_max_payload_bytes=1000) as tasks:
        task_id = (await tasks.submit(ALICE, "compute")).task_id
        worker_id = (await tasks.register(ALICE, "w", ["compute"], ["default"], 1)).worker_id
        [claimed] = await tasks.claim(ALICE, worker_id, 1, 0)
        with pytest.raises(TooLarge) as large:
            await tasks.fail(ALICE, task_id, claimed.lease_id, "e" * 1000, True)
        assert (large.value.what, large.value.limit) == ("error", 1000)
        assert (await tasks.get(ALICE, task_id)).state is TaskState.RUNNING


async def test_each_principal_has_a_quota_of_tasks_admin_too(
    backend: Factory, clock: ManualClock
) -> None:
    async with opened(backend, clock, task_max_tasks_per_owner=2) as tasks:
        for caller in (ALICE, ADMIN_KEY):
            for _ in range(2):
                await tasks.submit(caller, "compute", result_ttl_s=5)
            with pytest.raises(QuotaExceeded) as quota:
                await tasks.submit(caller, "compute")
            assert quota.value.data == {"resource": "tasks", "limit": 2, "held": 2}
        await tasks.submit(BOB, "compute")  # a quota is one caller's, not the server's
        first = (await tasks.list_tasks(ALICE)).tasks[0]
        await tasks.cancel(ALICE, first.task_id)
        clock.advance(5)  # finished tasks count until they are forgotten
        await tasks.submit(ALICE, "compute")


async def test_each_principal_has_a_quota_of_bytes(backend: Factory) -> None:
    async with opened(backend, task_max_bytes_per_owner=130_000) as tasks:
        await tasks.submit(ALICE, "compute", BIG)
        await tasks.submit(ALICE, "compute", BIG)
        with pytest.raises(QuotaExceeded) as quota:
            await tasks.submit(ALICE, "compute", BIG)
        held = 2 * (60_002 + 4 + 4)  # each task's payload, and its null result and error
        assert quota.value.data == {
            "resource": "task_bytes",
            "limit": 130_000,
            "held": held,
            "size": 60_010,
        }
        await tasks.submit(BOB, "compute", BIG)


async def test_the_caller_hears_of_its_quota_before_the_shared_cap(backend: Factory) -> None:
    async with opened(backend, task_max_tasks=2, task_max_tasks_per_owner=2) as tasks:
        await tasks.submit(ALICE, "compute")
        await tasks.submit(ALICE, "compute")
        with pytest.raises(QuotaExceeded):
            await tasks.submit(ALICE, "compute")
        with pytest.raises(QueueFull) as full:
            await tasks.submit(BOB, "compute")
        assert full.value.data == {"limit": 2}


async def test_a_cached_result_goes_with_its_task(backend: Factory, clock: ManualClock) -> None:
    async with opened(backend, clock) as tasks:
        task_id = (
            await tasks.submit(ALICE, "compute", "x", cache_ttl_s=1000, result_ttl_s=10)
        ).task_id
        await run_one(tasks, ALICE, 7)
        assert (await tasks.submit(ALICE, "compute", "x", cache_ttl_s=1000)).cached
        clock.advance(10)  # the task that computed it is forgotten: so is its cache entry
        with pytest.raises(TaskNotFound):
            await tasks.get(ALICE, task_id)
        assert not (await tasks.submit(ALICE, "compute", "x", cache_ttl_s=1000)).cached


async def cached(tasks: TaskStore, payload: str) -> bool:
    """Whether a submit of ``payload`` is answered from the cache (a miss is cancelled)."""
    submission = await tasks.submit(ALICE, "compute", payload, cache_ttl_s=1000)
    if not submission.cached:
        await tasks.cancel(ALICE, submission.task_id)
    return submission.cached


@pytest.mark.parametrize(
    ("caps", "result"),
    [
        ({"task_cache_max_entries": 2}, "r"),
        ({"task_cache_max_bytes": 130_000}, BIG),  # 60,002 bytes each: two fit
    ],
)
async def test_the_cache_forgets_its_oldest_entries_past_its_caps(
    backend: Factory, caps: dict[str, int], result: str
) -> None:
    async with opened(backend, **caps) as tasks:
        for payload in "abc":
            await tasks.submit(ALICE, "compute", payload, cache_ttl_s=1000)
            await run_one(tasks, ALICE, result)
        assert [await cached(tasks, payload) for payload in "abc"] == [False, True, True]


# ---- whatever is sent, the caps hold ---------------------------------------------------

LIMITS: dict[str, Any] = {
    "task_max_bytes": MIB,
    "task_max_bytes_per_owner": 450_000,
    "task_max_tasks": 30,
    "task_max_tasks_per_owner": 20,
    "task_result_ttl_s": 100,
    "task_pending_ttl_s": 300,
}
SIZES = st.sampled_from([0, 100, 30_000, 60_000, 60_000])
RESULT_SIZES = st.sampled_from([100, 60_000, 60_000])
"""Big ones often, so that the quotas and the budget are reached within a run."""


class BudgetMachine(RuleBasedStateMachine):
    """Principals submit, complete and fail tasks with payloads of any size."""

    def __init__(self, backend: Factory) -> None:
        super().__init__()
        self.clock = ManualClock()
        self.loop = asyncio.new_event_loop()
        self.stack = AsyncExitStack()
        self.store: TaskStore = self.run(
            self.stack.enter_async_context(opened(backend, self.clock, **LIMITS))
        )
        self.worker = self.run(self.store.register(ADMIN_KEY, "w", ["compute"], ["default"], 50))
        self.most = 0

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        target(self.most, label="most bytes stored")  # steer runs towards a full budget
        self.run(self.stack.aclose())
        self.loop.close()

    def views(self) -> list[TaskView]:
        return self.run(everything(self.store))

    def held(self, who: Principal) -> tuple[int, int]:
        mine = self.run(self.store.list_tasks(who, limit=500)).tasks
        return len(mine), sum(stored(v) for v in mine)

    @rule(who=st.sampled_from([ALICE, BOB]), size=SIZES)
    def submit(self, who: Principal, size: int) -> None:
        before = self.views()
        total = sum(stored(v) for v in before)
        tasks, held = self.held(who)
        cost = size + 2 + 8  # the JSON string, and a null result and error
        try:
            self.run(self.store.submit(who, "compute", "x" * size))
        except QuotaExceeded:
            event("submit: over a quota")
            assert tasks >= LIMITS["task_max_tasks_per_owner"] or (
                held + cost > LIMITS["task_max_bytes_per_owner"]
            )
            assert self.views() == before
        except QueueFull:
            event("submit: at the task cap")
            assert len(before) >= LIMITS["task_max_tasks"]
            assert self.views() == before
        except Overloaded:
            event("submit: past the byte budget")
            assert total + cost > 3 * MIB // 4
            assert self.views() == before

    @rule(size=RESULT_SIZES, fail=st.booleans())
    def report_again(self, size: int, fail: bool) -> None:
        """Reports fill the last quarter of the budget, so they get two rules."""
        self.report(size, fail)

    @rule(size=RESULT_SIZES, fail=st.booleans())
    def report(self, size: int, fail: bool) -> None:
        claimed = self.run(self.store.claim(ADMIN_KEY, self.worker.worker_id, 1, 0))
        if not claimed:
            return
        task_id, lease_id = claimed[0].task_id, claimed[0].lease_id
        before = self.views()
        total = sum(stored(v) for v in before)
        value = "y" * size
        try:
            if fail:
                self.run(self.store.fail(ADMIN_KEY, task_id, lease_id, value, False))
            else:
                self.run(self.store.complete(ADMIN_KEY, task_id, lease_id, value))
        except Overloaded:
            event("report: past the byte budget")
            assert total + size + 2 - 4 > MIB
            assert self.views() == before
            self.run(self.store.release(ADMIN_KEY, task_id, lease_id))

    @rule(seconds=st.sampled_from([1, 1, 10, 100]))
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.run(self.store.stats(ADMIN_KEY))

    @invariant()
    def within_the_caps(self) -> None:
        views = self.views()
        total = sum(stored(v) for v in views)
        self.most = max(self.most, total)
        assert total <= LIMITS["task_max_bytes"]
        assert len(views) <= LIMITS["task_max_tasks"]
        for who in (ALICE, BOB):
            assert self.held(who)[0] <= LIMITS["task_max_tasks_per_owner"]


def test_stored_bytes_never_exceed_the_budget(backend: Factory) -> None:
    run_state_machine_as_test(
        lambda: BudgetMachine(backend),
        settings=hypothesis_settings(
            # 30 runs of 60 steps: each step reads every task back, and on Redis 60 runs took
            # two minutes, an eighth of the whole suite.
            max_examples=30,
            stateful_step_count=60,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
