"""The TaskStore contract: what every backend must do, tested through the Protocol only.

Worked examples first (fencing, retries, dependencies, idempotency, cache, expiry, long-polls,
draining), then a hypothesis state machine that checks the invariants after every step: at
most one live lease per task, no task lost, terminal states final, fencing, and that another
principal can neither act as a worker nor see a task it does not own.

Calls are made as ALICE, a key's principal: the worker calls need no token, since they come
from the principal that registered the worker. Owners and tokens have their own suite,
``test_task_owners.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from app.clock import ManualClock
from app.rpc.access import ANONYMOUS, Principal
from app.rpc.errors import DomainError
from app.stores import StoreContext
from app.tasks.errors import (
    IdempotencyConflict,
    LeaseLost,
    TaskNotFound,
    TooLarge,
    UnknownDependency,
    WorkerNotFound,
)
from app.tasks.memory import MemoryTaskStore
from app.tasks.models import (
    FAILED_UPSTREAM,
    AttemptView,
    Health,
    Outcome,
    Priority,
    RunningTask,
    TaskState,
    TaskView,
    WorkerView,
)
from app.tasks.redis import RedisTaskStore
from app.tasks.state import FREE_RELEASES
from app.tasks.store import TaskStore
from tests.helpers.backends import OnRedis, on_redis, opened
from tests.helpers.tasks import Arrivals, TaskBackend

BACKENDS = [pytest.param(MemoryTaskStore, id="memory"), on_redis(RedisTaskStore)]
ALICE = Principal("key:alice", "alice", frozenset({"tasks:submit", "tasks:work"}))
MALLORY = Principal("key:mallory", "mallory", frozenset({"tasks:submit", "tasks:work"}))
T = TypeVar("T")
Factory = Callable[[StoreContext], TaskBackend]


async def worker(tasks: TaskStore, types: tuple[str, ...] = ("compute",), capacity: int = 5) -> str:
    return (await tasks.register(ALICE, "test", types, ["default"], capacity)).worker_id


# ---- worked examples -------------------------------------------------------------------


async def test_registration_answers_the_heartbeat_interval_and_lease_ttl(
    tasks: TaskStore,
) -> None:
    registration = await tasks.register(ALICE, "w", ["compute"], ["default"], 2)
    assert (registration.heartbeat_interval_s, registration.lease_ttl_s) == (10.0, 30.0)
    [view] = await tasks.list_workers(ALICE)
    assert (view.worker_id, view.health, view.types, view.running) == (
        registration.worker_id,
        Health.ONLINE,
        ["compute"],
        [],
    )


async def test_one_live_lease_per_task_and_the_live_lease_stays_secret(
    tasks: TaskStore, clock: ManualClock
) -> None:
    task_id = (await tasks.submit(ALICE, "compute", {"a": 1})).task_id
    first, second = await worker(tasks), await worker(tasks)
    claims = await asyncio.gather(tasks.claim(ALICE, first, 5, 0), tasks.claim(ALICE, second, 5, 0))
    [claimed] = [c for claim in claims for c in claim]
    assert (claimed.task_id, claimed.attempt, claimed.lease_expires_at) == (
        task_id,
        1,
        clock.time() + 30,
    )
    view = await tasks.get(ALICE, task_id)
    assert view.state is TaskState.RUNNING and view.attempts[0].lease_id is None
    done = await tasks.complete(ALICE, task_id, claimed.lease_id, 3)
    assert (done.state, done.result, done.attempts[0].lease_id) == (
        TaskState.SUCCEEDED,
        3,
        claimed.lease_id,
    )


async def test_a_stale_lease_is_fenced_out_and_changes_nothing(
    tasks: TaskStore, clock: ManualClock
) -> None:
    task_id = (await tasks.submit(ALICE, "compute", timeout_s=100)).task_id
    first = await worker(tasks)
    stale = (await tasks.claim(ALICE, first, 1, 0))[0]
    clock.advance(20)
    await tasks.worker_heartbeat(ALICE, first, [])  # alive, but the lease is not renewed
    clock.advance(10)  # the lease lapses: a charged attempt, retried after its backoff
    retry = await tasks.get(ALICE, task_id)
    assert retry.state is TaskState.SCHEDULED
    clock.advance(retry.ready_at - clock.time())
    current = (await tasks.claim(ALICE, await worker(tasks), 1, 0))[0]
    assert current.attempt == 2
    before = await tasks.get(ALICE, task_id)
    for call in (
        tasks.complete(ALICE, task_id, stale.lease_id, 1),
        tasks.fail(ALICE, task_id, stale.lease_id, "x", True),
        tasks.heartbeat(ALICE, task_id, stale.lease_id, 0.5),
        tasks.release(ALICE, task_id, stale.lease_id),
    ):
        with pytest.raises(LeaseLost) as lost:
            await call
        assert lost.value.data == {"task_id": task_id, "state": "running"}
    assert await tasks.get(ALICE, task_id) == before
    assert [a.outcome for a in before.attempts] == [Outcome.EXPIRED, None]


async def test_failures_retry_with_growing_backoff_until_dead(
    tasks: TaskStore, clock: ManualClock
) -> None:
    task_id = (await tasks.submit(ALICE, "compute", max_attempts=3)).task_id
    worker_id = await worker(tasks)
    delays = []
    for attempt in (1, 2):
        [claimed] = await tasks.claim(ALICE, worker_id, 1, 0)
        assert claimed.attempt == attempt
        view = await tasks.fail(ALICE, task_id, claimed.lease_id, "boom", True)
        assert view.state is TaskState.SCHEDULED
        delays.append(view.ready_at - clock.time())
        assert await tasks.claim(ALICE, worker_id, 1, 0) == []  # not before its backoff ends
        clock.advance(delays[-1])
    assert 0.5 <= delays[0] <= 1.0 and 1.0 <= delays[1] <= 2.0
    [claimed] = await tasks.claim(ALICE, worker_id, 1, 0)
    view = await tasks.fail(ALICE, task_id, claimed.lease_id, "boom", True)
    assert (view.state, view.reason) == (TaskState.DEAD, "failed")
    assert (await tasks.requeue(ALICE, task_id)).state is TaskState.PENDING
    assert (await tasks.claim(ALICE, worker_id, 1, 0))[0].attempt == 4


async def test_a_failed_dependency_cancels_everything_downstream(tasks: TaskStore) -> None:
    root = (await tasks.submit(ALICE, "compute", 1)).task_id
    child = (await tasks.submit(ALICE, "compute", 2, depends_on=[root])).task_id
    grandchild = (await tasks.submit(ALICE, "compute", 3, depends_on=[child])).task_id
    assert (await tasks.get(ALICE, child)).state is TaskState.BLOCKED
    [claimed] = await tasks.claim(ALICE, await worker(tasks), 1, 0)
    await tasks.fail(ALICE, root, claimed.lease_id, "no", False)
    for task_id in (child, grandchild):
        view = await tasks.get(ALICE, task_id)
        assert (view.state, view.reason) == (TaskState.CANCELLED, "upstream_failed")
    late = await tasks.submit(ALICE, "compute", 4, depends_on=[root])
    assert late.state is TaskState.CANCELLED
    with pytest.raises(UnknownDependency) as unknown:
        await tasks.submit(ALICE, "compute", depends_on=["t_nope"])
    assert unknown.value.data == {"missing": ["t_nope"]}


async def test_a_succeeded_dependency_unblocks_with_its_result(tasks: TaskStore) -> None:
    root = (await tasks.submit(ALICE, "compute", 1)).task_id
    child = (await tasks.submit(ALICE, "compute", 2, depends_on=[root])).task_id
    worker_id = await worker(tasks)
    [claimed] = await tasks.claim(ALICE, worker_id, 5, 0)
    await tasks.complete(ALICE, root, claimed.lease_id, {"sum": 3})
    [claimed] = await tasks.claim(ALICE, worker_id, 5, 0)
    assert (claimed.task_id, claimed.dep_results) == (child, {root: {"sum": 3}})


async def test_an_idempotency_key_names_one_task(tasks: TaskStore) -> None:
    first = await tasks.submit(ALICE, "compute", {"a": 1, "b": 2}, idempotency_key="k")
    again = await tasks.submit(ALICE, "compute", {"b": 2, "a": 1}, idempotency_key="k")
    assert (again.task_id, again.deduplicated, first.deduplicated) == (first.task_id, True, False)
    with pytest.raises(IdempotencyConflict) as conflict:
        await tasks.submit(ALICE, "compute", {"a": 1}, idempotency_key="k")
    assert conflict.value.data == {"idempotency_key": "k", "task_id": first.task_id}
    assert (await tasks.stats(ALICE)).total == 1


async def test_the_cache_answers_a_recent_success_until_its_ttl(
    tasks: TaskStore, clock: ManualClock
) -> None:
    first = (await tasks.submit(ALICE, "compute", "x", cache_ttl_s=60)).task_id
    [claimed] = await tasks.claim(ALICE, await worker(tasks), 1, 0)
    await tasks.complete(ALICE, first, claimed.lease_id, 7)
    hit = await tasks.submit(ALICE, "compute", "x", cache_ttl_s=60)
    assert (hit.state, hit.cached) == (TaskState.SUCCEEDED, True)
    view = await tasks.get(ALICE, hit.task_id)
    assert (view.result, view.reason, view.attempts) == (7, "cached", [])
    clock.advance(60)
    miss = await tasks.submit(ALICE, "compute", "x", cache_ttl_s=60)
    assert (miss.state, miss.cached) == (TaskState.PENDING, False)


async def test_results_expire_and_then_are_not_found(tasks: TaskStore, clock: ManualClock) -> None:
    task_id = (await tasks.submit(ALICE, "compute", result_ttl_s=10)).task_id
    [claimed] = await tasks.claim(ALICE, await worker(tasks), 1, 0)
    done = await tasks.complete(ALICE, task_id, claimed.lease_id, None)
    assert done.expires_at == clock.time() + 10
    clock.advance(9.9)
    assert (await tasks.get(ALICE, task_id)).state is TaskState.SUCCEEDED
    clock.advance(0.1)
    with pytest.raises(TaskNotFound):
        await tasks.get(ALICE, task_id)
    assert (await tasks.stats(ALICE)).expired == 1


async def test_payloads_and_results_over_the_limit_are_refused_before_any_change(
    backend: Factory, clock: ManualClock
) -> None:
    async with opened(backend, clock, task_max_payload_bytes=100) as tasks:
        with pytest.raises(TooLarge) as large:
            await tasks.submit(ALICE, "compute", "x" * 100)
        assert (large.value.what, large.value.limit) == ("payload", 100)
        task_id = (await tasks.submit(ALICE, "compute", "small")).task_id
        [claimed] = await tasks.claim(ALICE, await worker(tasks), 1, 0)
        with pytest.raises(TooLarge):
            await tasks.complete(ALICE, task_id, claimed.lease_id, "y" * 100)
        assert (await tasks.get(ALICE, task_id)).state is TaskState.RUNNING


async def test_list_filters_and_pages_in_submit_order(tasks: TaskStore) -> None:
    ids = [
        (await tasks.submit(ALICE, "compute" if i % 2 else "other", i)).task_id for i in range(7)
    ]
    page = await tasks.list_tasks(ALICE, type_="compute", limit=2)
    assert [t.task_id for t in page.tasks] == [ids[1], ids[3]]
    page = await tasks.list_tasks(ALICE, type_="compute", limit=2, cursor=page.next_cursor)
    assert ([t.task_id for t in page.tasks], page.next_cursor) == ([ids[5]], None)
    await tasks.cancel(ALICE, ids[0])
    page = await tasks.list_tasks(ALICE, state=TaskState.CANCELLED)
    assert [t.task_id for t in page.tasks] == [ids[0]]


async def test_a_silent_worker_goes_offline_and_loses_its_leases(
    backend: Factory, clock: ManualClock
) -> None:
    async with opened(backend, clock, task_lease_ttl_s=60) as tasks:
        task_id = (await tasks.submit(ALICE, "compute")).task_id
        worker_id = await worker(tasks)
        [claimed] = await tasks.claim(ALICE, worker_id, 1, 0)
        clock.advance(29.9)
        assert [w.health for w in await tasks.list_workers(ALICE)] == [Health.ONLINE]
        clock.advance(0.1)  # three heartbeat intervals (10 s) of silence; the lease is 60 s
        [view] = await tasks.list_workers(ALICE)
        assert (view.health, view.running) == (Health.OFFLINE, [])
        assert (await tasks.get(ALICE, task_id)).attempts[0].outcome is Outcome.REVOKED
        running = [RunningTask(task_id=task_id, lease_id=claimed.lease_id)]
        answer = await tasks.worker_heartbeat(ALICE, worker_id, running)
        assert (answer.cancel, answer.leases, answer.drain) == ([task_id], {}, False)


async def test_deregister_gives_held_tasks_back(tasks: TaskStore) -> None:
    task_id = (await tasks.submit(ALICE, "compute")).task_id
    worker_id = await worker(tasks)
    await tasks.claim(ALICE, worker_id, 1, 0)
    assert (await tasks.deregister(ALICE, worker_id)).running == [task_id]
    assert (await tasks.get(ALICE, task_id)).state is TaskState.PENDING
    with pytest.raises(WorkerNotFound):
        await tasks.claim(ALICE, worker_id, 1, 0)


async def test_a_waiting_claim_is_served_by_a_later_submit(tasks: TaskStore) -> None:
    arrivals = Arrivals(tasks)
    worker_id = await worker(tasks)
    claim = asyncio.create_task(tasks.claim(ALICE, worker_id, 5, 10))
    await arrivals.until(lambda: arrivals.claims == 1)
    task_id = (await tasks.submit(ALICE, "compute")).task_id
    assert [c.task_id for c in await claim] == [task_id]


async def test_draining_ends_long_polls_and_tells_workers(tasks: TaskBackend) -> None:
    arrivals = Arrivals(tasks)
    worker_id = await worker(tasks)
    task_id = (await tasks.submit(ALICE, "compute", delay_s=100)).task_id
    claim = asyncio.create_task(tasks.claim(ALICE, worker_id, 1, 30))
    get = asyncio.create_task(tasks.get(ALICE, task_id, 60))
    await arrivals.until(lambda: arrivals.claims == 1 and arrivals.watched(task_id))
    tasks.drain()
    assert await claim == []
    assert (await get).state is TaskState.SCHEDULED
    assert (await tasks.worker_heartbeat(ALICE, worker_id, [])).drain is True
    await tasks.submit(ALICE, "compute")
    assert await tasks.claim(ALICE, worker_id, 1, 30) == []  # at once: no new work while stopping


async def test_a_claim_cancelled_after_it_was_served_gives_its_tasks_back(
    tasks: TaskStore, backend: object
) -> None:
    # A caller that goes away (a shutdown) must not leave tasks leased to nobody.
    if isinstance(backend, OnRedis):
        # Seeing the task running takes a round trip on Redis, in which the served claim
        # returns; test_a_claim_whose_caller_went_away_gives_back_for_free holds the rule.
        pytest.skip("only memory serves a waiting claim without yielding to its caller")
    arrivals = Arrivals(tasks)
    worker_id = await worker(tasks)
    claim = asyncio.create_task(tasks.claim(ALICE, worker_id, 5, 10))
    await arrivals.until(lambda: arrivals.claims == 1)
    task_id = (
        await tasks.submit(ALICE, "compute", 1)
    ).task_id  # served to the waiting claim at once...
    assert (await tasks.get(ALICE, task_id)).state is TaskState.RUNNING
    claim.cancel()  # ...but its caller is cancelled before it could see the answer
    with pytest.raises(asyncio.CancelledError):
        await claim
    view = await tasks.get(ALICE, task_id)
    assert view.state is TaskState.PENDING
    assert [a.outcome for a in view.attempts] == [Outcome.RELEASED]


# ---- invariants, after every step of random operations ---------------------------------

TYPES = ["a", "b"]
# A timeout a little over the lease, so renewals often reach it; a worker goes offline
# (after 3 heartbeats: 30 s) before its leases would lapse, so revoking is its own step.
MACHINE_SETTINGS: dict[str, Any] = {
    "task_lease_ttl_s": 40,
    "worker_heartbeat_s": 10,
    "task_timeout_s": 50,
    "task_retry_base_s": 1,
    "task_retry_max_s": 8,
    "task_result_ttl_s": 50,
    "task_attempts_kept": 2,  # small, so that views drop old attempts often
}

Lease = tuple[str, str]
"""(task id, lease id), as a claim answered them."""


@dataclass
class Grant:
    """What the machine knows of a lease it was granted."""

    task_id: str
    attempt: int
    worker_id: str
    expires_at: float
    deadline: float


class TaskMachine(RuleBasedStateMachine):
    """Drives one backend on its own event loop; tracks only what the Protocol answered."""

    tasks = Bundle("tasks")
    workers = Bundle("workers")
    leases = Bundle("leases")

    def __init__(self, backend: Factory) -> None:
        super().__init__()
        self.clock = ManualClock()
        self.loop = asyncio.new_event_loop()
        self.stack = AsyncExitStack()
        self.store: TaskBackend = self.run(
            self.stack.enter_async_context(opened(backend, self.clock, **MACHINE_SETTINGS))
        )
        self.submitted: set[str] = set()
        self.last_state: dict[str, TaskState] = {}
        self.requeued: set[str] = set()
        self.requeue_mark: dict[str, int] = {}
        """Attempts a task had when it was last requeued (its budget starts after them)."""
        self.grants: dict[str, Grant] = {}
        """By lease id."""
        self.lease_of: dict[tuple[str, int], str] = {}
        """(task id, attempt number) -> its lease id."""
        self.reported: dict[str, Outcome] = {}
        """By lease id: the report this machine ended the lease with (the server ends others)."""

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        self.run(self.stack.aclose())
        self.loop.close()

    def view(self, task_id: str) -> TaskView | None:
        try:
            return self.run(self.store.get(ALICE, task_id))
        except TaskNotFound:
            return None

    def attempt(self, lease_id: str) -> AttemptView | None:
        """The attempt, unless its task or its place in the kept history is gone."""
        grant = self.grants[lease_id]
        view = self.view(grant.task_id)
        kept = [] if view is None else [a for a in view.attempts if a.number == grant.attempt]
        return kept[0] if kept else None

    def live(self, lease_id: str) -> bool:
        attempt = self.attempt(lease_id)
        return attempt is not None and attempt.outcome is None

    def workers_now(self) -> dict[str, WorkerView]:
        return {w.worker_id: w for w in self.run(self.store.list_workers(ALICE))}

    # ---- rules -----------------------------------------------------------------------

    @initialize(target=workers)
    def a_worker_for_every_type(self) -> str:
        return self.run(self.store.register(ALICE, "w0", TYPES, ["default"], 3)).worker_id

    @rule(
        target=tasks,
        type_=st.sampled_from(TYPES),
        priority=st.sampled_from(list(Priority)),
        delay=st.sampled_from([0, 0, 5]),
        deps=st.lists(tasks, max_size=2),
        max_attempts=st.integers(1, 3),
        cache=st.booleans(),
    )
    def submit(
        self,
        type_: str,
        priority: Priority,
        delay: float,
        deps: list[str],
        max_attempts: int,
        cache: bool,
    ) -> object:
        try:
            submission = self.run(
                self.store.submit(
                    ALICE,
                    type_,
                    {"n": len(self.submitted) % 3},
                    priority=priority,
                    delay_s=delay,
                    depends_on=deps,
                    max_attempts=max_attempts,
                    cache_ttl_s=20 if cache else 0,
                )
            )
        except UnknownDependency:
            assert any(self.view(dep) is None for dep in deps)
            return multiple()
        self.submitted.add(submission.task_id)
        return submission.task_id

    @rule(
        target=workers,
        types=st.sets(st.sampled_from(TYPES), min_size=1),
        capacity=st.integers(1, 3),
    )
    def register(self, types: set[str], capacity: int) -> str:
        return self.run(self.store.register(ALICE, "w", types, ["default"], capacity)).worker_id

    @rule(target=leases, worker=workers, max_tasks=st.integers(1, 3))
    def claim_again(self, worker: str, max_tasks: int) -> object:
        """Claims are what lease-holder calls need, so they get two rules (twice the odds)."""
        return self.claim(worker, max_tasks)

    @rule(target=leases, worker=workers, max_tasks=st.integers(1, 3))
    def claim(self, worker: str, max_tasks: int) -> object:
        try:
            claimed = self.run(self.store.claim(ALICE, worker, max_tasks, 0))
        except WorkerNotFound:
            assert worker not in self.workers_now()
            return multiple()
        for c in claimed:
            assert self.clock.time() < c.lease_expires_at <= c.deadline
            self.grants[c.lease_id] = Grant(
                c.task_id, c.attempt, worker, c.lease_expires_at, c.deadline
            )
            self.lease_of[(c.task_id, c.attempt)] = c.lease_id
        return multiple(*[(c.task_id, c.lease_id) for c in claimed])

    def repeats(self, lease: Lease, report: Outcome) -> bool:
        """Whether ``report`` with ``lease`` would only repeat the report that ended the
        task's latest attempt with that same report (complete after complete, and so on)."""
        view = self.view(lease[0])
        made = self.reported.get(lease[1])
        return (
            view is not None
            and made is not None
            and self.grants[lease[1]].attempt == view.attempt
            and made is report
        )

    def _fenced(
        self, lease: Lease, report: Outcome, call: Callable[[], Coroutine[Any, Any, object]]
    ) -> None:
        """Run a lease-holder report; it must succeed exactly when the lease may act."""
        current = self.live(lease[1])
        repeated = self.repeats(lease, report)
        before = self.view(lease[0])
        try:
            self.run(call())
        except (LeaseLost, TaskNotFound):
            assert not current and not repeated
            assert self.view(lease[0]) == before  # a refused call changes nothing
        except WorkerNotFound:
            # A repeat is answered to the worker, and this one has gone (deregistered).
            assert repeated and self.grants[lease[1]].worker_id not in self.workers_now()
            assert self.view(lease[0]) == before
        else:
            assert current or repeated
            if repeated:
                assert self.view(lease[0]) == before  # nor does repeating a report
            else:
                self.reported[lease[1]] = report

    @rule(lease=leases, value=st.integers(0, 3))
    def complete(self, lease: Lease, value: int) -> None:
        self._fenced(lease, Outcome.SUCCEEDED, lambda: self.store.complete(ALICE, *lease, value))

    @rule(lease=leases, retryable=st.booleans())
    def fail(self, lease: Lease, retryable: bool) -> None:
        self._fenced(
            lease, Outcome.FAILED, lambda: self.store.fail(ALICE, *lease, "boom", retryable)
        )

    @rule(lease=leases)
    def release(self, lease: Lease) -> None:
        self._fenced(lease, Outcome.RELEASED, lambda: self.store.release(ALICE, *lease))

    @rule(
        lease=leases,
        who=st.sampled_from([MALLORY, ANONYMOUS]),
        method=st.sampled_from(["complete", "fail", "release", "heartbeat"]),
    )
    def an_intruder_reports(self, lease: Lease, who: Principal, method: str) -> None:
        """Another principal holding a lease id, without the worker's token: refused, with
        nothing changed (5003 while the lease is live: it may not act as the worker)."""
        live = self.live(lease[1])
        before, workers = self.view(lease[0]), self.workers_now()
        calls: dict[str, Callable[[], Coroutine[Any, Any, object]]] = {
            "complete": lambda: self.store.complete(who, *lease, 9),
            "fail": lambda: self.store.fail(who, *lease, "forged", False),
            "release": lambda: self.store.release(who, *lease),
            "heartbeat": lambda: self.store.heartbeat(who, *lease, 0.9),
        }
        with pytest.raises((WorkerNotFound, LeaseLost, TaskNotFound)) as refused:
            self.run(calls[method]())
        assert refused.type is WorkerNotFound or not live
        assert (self.view(lease[0]), self.workers_now()) == (before, workers)

    @rule(
        worker=workers,
        task=tasks,
        who=st.sampled_from([MALLORY, ANONYMOUS]),
        method=st.sampled_from(["claim", "heartbeat", "deregister", "cancel", "requeue", "get"]),
    )
    def an_intruder_steers(self, worker: str, task: str, who: Principal, method: str) -> None:
        """Another principal, naming ALICE's worker or task: told it does not exist."""
        before, workers = self.view(task), self.workers_now()
        calls: dict[str, Callable[[], Coroutine[Any, Any, object]]] = {
            "claim": lambda: self.store.claim(who, worker, 3, 0),
            "heartbeat": lambda: self.store.worker_heartbeat(who, worker, []),
            "deregister": lambda: self.store.deregister(who, worker),
            "cancel": lambda: self.store.cancel(who, task),
            "requeue": lambda: self.store.requeue(who, task),
            "get": lambda: self.store.get(who, task),
        }
        with pytest.raises((WorkerNotFound, TaskNotFound)):
            self.run(calls[method]())
        assert (self.view(task), self.workers_now()) == (before, workers)

    @rule(lease=leases)
    def heartbeat(self, lease: Lease) -> None:
        live = self.live(lease[1])
        try:
            renewal = self.run(self.store.heartbeat(ALICE, *lease, 0.5))
        except (LeaseLost, TaskNotFound):
            assert not live
            return
        assert live
        grant = self.grants[lease[1]]
        assert renewal.lease_expires_at <= grant.deadline
        grant.expires_at = renewal.lease_expires_at

    @rule(worker=workers, data=st.data())
    def worker_heartbeat(self, worker: str, data: st.DataObject) -> None:
        known = sorted(lease_id for lease_id, g in self.grants.items() if g.worker_id == worker)
        # One lease per task at most: the answer is keyed by task id.
        by_task = st.lists(st.sampled_from(known), unique_by=lambda i: self.grants[i].task_id)
        sent = data.draw(by_task) if known else []
        live = {lease_id: self.live(lease_id) for lease_id in sent}
        running = [RunningTask(task_id=self.grants[i].task_id, lease_id=i) for i in sent]
        try:
            answer = self.run(self.store.worker_heartbeat(ALICE, worker, running))
        except WorkerNotFound:
            assert worker not in self.workers_now()
            return
        assert answer.drain is False
        for lease_id in sent:
            grant = self.grants[lease_id]
            if live[lease_id]:
                assert answer.leases[grant.task_id] <= grant.deadline
                grant.expires_at = answer.leases[grant.task_id]
            else:
                assert grant.task_id in answer.cancel and grant.task_id not in answer.leases

    @rule(worker=consumes(workers))
    def deregister(self, worker: str) -> None:
        with contextlib.suppress(WorkerNotFound):
            self.run(self.store.deregister(ALICE, worker))

    @rule(task=tasks)
    def cancel(self, task: str) -> None:
        try:
            self.run(self.store.cancel(ALICE, task))
        except DomainError:
            view = self.view(task)
            assert view is None or view.state.terminal

    @rule(task=tasks)
    def requeue(self, task: str) -> None:
        try:
            view = self.run(self.store.requeue(ALICE, task))
        except DomainError:
            return
        self.requeued.add(task)
        self.requeue_mark[task] = view.attempt

    @rule(seconds=st.sampled_from([0.5, 5, 15, 31, 60]))
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.run(self.store.stats(ALICE))  # any call fires the deadlines that have passed

    # ---- invariants ------------------------------------------------------------------

    @invariant()
    def the_store_keeps_its_invariants(self) -> None:
        page = self.run(self.store.list_tasks(ALICE, limit=500))
        assert page.next_cursor is None
        views = {view.task_id: view for view in page.tasks}
        workers = self.workers_now()
        expired = self.run(self.store.stats(ALICE)).expired
        self.no_task_is_lost_and_terminal_states_are_final(views, expired)
        self.at_most_one_live_lease_and_only_while_running(views, workers)
        self.each_state_means_what_it_says(views)
        self.another_principal_sees_none_of_it()

    def another_principal_sees_none_of_it(self) -> None:
        for who in (MALLORY, ANONYMOUS):
            assert self.run(self.store.list_tasks(who, limit=500)).tasks == []
            assert self.run(self.store.list_workers(who)) == []
            stats = self.run(self.store.stats(who))
            assert (stats.total, stats.workers_online, stats.workers_offline) == (0, 0, 0)

    def no_task_is_lost_and_terminal_states_are_final(
        self, views: dict[str, TaskView], expired: int
    ) -> None:
        gone = self.submitted - set(views)
        assert len(gone) == expired
        for task_id in gone:
            assert self.last_state[task_id].terminal  # only finished tasks expire
        for task_id, view in views.items():
            before = self.last_state.get(task_id)
            if before is not None and before.terminal and view.state is not before:
                assert before is TaskState.DEAD and task_id in self.requeued
                self.requeued.discard(task_id)
            self.last_state[task_id] = view.state

    def at_most_one_live_lease_and_only_while_running(
        self, views: dict[str, TaskView], workers: dict[str, WorkerView]
    ) -> None:
        now = self.clock.time()
        for view in views.values():
            live = [a for a in view.attempts if a.outcome is None]
            assert len(live) <= 1
            assert (view.state is TaskState.RUNNING) == bool(live)
            if live:
                assert view.attempts[-1] == live[0] and live[0].lease_id is None
                assert view.worker_id == live[0].worker_id
                grant = self.grants[self.lease_of[(view.task_id, live[0].number)]]
                assert now < grant.expires_at <= grant.deadline
                worker = workers.get(live[0].worker_id)
                assert worker is not None and view.task_id in worker.running
        for worker in workers.values():
            if worker.health is Health.OFFLINE:
                assert not worker.running  # revoked when it went quiet
            for task_id in worker.running:
                assert views[task_id].worker_id == worker.worker_id

    def each_state_means_what_it_says(self, views: dict[str, TaskView]) -> None:
        now = self.clock.time()
        for view in views.values():
            if view.state is TaskState.SCHEDULED:
                assert view.ready_at > now
            if view.state is TaskState.PENDING:
                assert view.ready_at <= now
            if view.state is TaskState.BLOCKED:
                deps = [views[dep_id] for dep_id in view.depends_on]  # kept while it waits
                assert any(dep.state is not TaskState.SUCCEEDED for dep in deps)
                assert all(dep.state not in FAILED_UPSTREAM for dep in deps)
            # Every ended attempt is charged (releases past the free ones too), so: never more
            # than max_attempts (plus the free releases) since the last requeue, and fewer
            # ended ones while the task can still run.
            since = view.attempt - self.requeue_mark.get(view.task_id, 0)
            allowed = view.max_attempts + FREE_RELEASES
            assert since <= allowed
            numbers = [a.number for a in view.attempts]
            assert numbers == list(range(view.attempt - len(numbers) + 1, view.attempt + 1))
            assert len(numbers) <= MACHINE_SETTINGS["task_attempts_kept"]
            if not view.state.terminal:
                ended = since - (view.state is TaskState.RUNNING)
                assert ended < allowed
                assert all(dep_id in views for dep_id in view.depends_on)
            else:
                assert view.finished_at is not None
            if view.state is TaskState.SUCCEEDED and not view.cached:
                outcomes = [a.outcome for a in view.attempts]
                assert outcomes.count(Outcome.SUCCEEDED) == 1 and outcomes[-1] is Outcome.SUCCEEDED


def test_invariants_hold_after_every_step(backend: Factory) -> None:
    run_state_machine_as_test(
        lambda: TaskMachine(backend),
        settings=hypothesis_settings(
            max_examples=200,
            stateful_step_count=50,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
