"""The TaskStore contract, continued: owners, worker tokens and lease fencing, per principal.

Distinct principals call the same backend: ALICE and BOB (two keys), ADMIN, and ANONYMOUS
(every caller without a key). What one may not see or steer it is told does not exist,
with the same error and data as for an id that never existed. The backends are
``test_task_store``'s: one list for both suites.
"""

from __future__ import annotations

import pytest

from app.clock import ManualClock
from app.rpc.access import ADMIN, ANONYMOUS, Principal
from app.tasks.errors import (
    IdempotencyConflict,
    LeaseLost,
    TaskNotFound,
    UnknownDependency,
    WorkerNotFound,
)
from app.tasks.models import ClaimedTask, Outcome, RunningTask, TaskState
from app.tasks.store import TaskStore
from tests.contract.test_task_store import BACKENDS

__all__ = ["BACKENDS"]  # the contract conftest parametrizes ``backend`` from it

WORK = frozenset({"tasks:submit", "tasks:work"})
ALICE = Principal("key:alice", "alice", WORK)
BOB = Principal("key:bob", "bob", WORK)
ADMIN_KEY = Principal("key:root", "root", frozenset({ADMIN}))


async def register(tasks: TaskStore, caller: Principal) -> tuple[str, str]:
    """A worker of ``caller``'s for ``compute``: its id and token."""
    registration = await tasks.register(caller, "w", ["compute"], ["default"], 5)
    return registration.worker_id, registration.worker_token


async def claimed_as(tasks: TaskStore, caller: Principal, worker: tuple[str, str]) -> ClaimedTask:
    [claimed] = await tasks.claim(caller, worker[0], 1, 0, token=worker[1])
    return claimed


# ---- tasks belong to their submitter ----------------------------------------------------


async def test_another_principal_is_told_a_task_does_not_exist(tasks: TaskStore) -> None:
    task_id = (await tasks.submit(ALICE, "compute", {"secret": "s3cr3t"})).task_id
    for call in (
        tasks.get(BOB, task_id),
        tasks.cancel(BOB, task_id),
        tasks.requeue(BOB, task_id),
        tasks.get(ANONYMOUS, task_id),
        tasks.cancel(ANONYMOUS, task_id),
    ):
        with pytest.raises(TaskNotFound) as refused:
            await call
        assert refused.value.data == {"task_id": task_id}  # as for an id that never existed
    with pytest.raises(TaskNotFound) as unknown:
        await tasks.get(BOB, "t_nope")
    assert (unknown.value.code, unknown.value.message) == (refused.value.code, "Task not found")
    view = await tasks.get(ALICE, task_id)
    assert (view.state, view.payload) == (TaskState.PENDING, {"secret": "s3cr3t"})


async def test_list_and_stats_cover_your_own_tasks_and_admin_sees_all(tasks: TaskStore) -> None:
    mine = [(await tasks.submit(ALICE, "compute", i)).task_id for i in range(3)]
    theirs = (await tasks.submit(BOB, "compute", "b")).task_id
    anonymous = (await tasks.submit(ANONYMOUS, "other", "a")).task_id
    assert [t.task_id for t in (await tasks.list_tasks(ALICE)).tasks] == mine
    assert [t.task_id for t in (await tasks.list_tasks(BOB)).tasks] == [theirs]
    assert [t.task_id for t in (await tasks.list_tasks(ANONYMOUS)).tasks] == [anonymous]
    everyone = [t.task_id for t in (await tasks.list_tasks(ADMIN_KEY)).tasks]
    assert everyone == [*mine, theirs, anonymous]
    page = await tasks.list_tasks(ALICE, limit=2)
    assert page.next_cursor is not None
    rest = await tasks.list_tasks(ALICE, limit=2, cursor=page.next_cursor)
    assert ([t.task_id for t in rest.tasks], rest.next_cursor) == ([mine[2]], None)
    assert ((await tasks.stats(ALICE)).total, (await tasks.stats(BOB)).total) == (3, 1)
    assert (await tasks.stats(ANONYMOUS)).by_type == {"other": 1}
    assert (await tasks.stats(ADMIN_KEY)).total == 5


async def test_only_the_owner_or_admin_cancels_or_requeues(tasks: TaskStore) -> None:
    first = (await tasks.submit(ALICE, "compute")).task_id
    second = (await tasks.submit(ALICE, "compute")).task_id
    assert (await tasks.cancel(ALICE, first)).state is TaskState.CANCELLED
    assert (await tasks.cancel(ADMIN_KEY, second)).state is TaskState.CANCELLED
    dead = (await tasks.submit(ALICE, "compute", max_attempts=1)).task_id
    worker = await register(tasks, ALICE)
    claimed = await claimed_as(tasks, ALICE, worker)
    await tasks.fail(ALICE, dead, claimed.lease_id, "boom", True)
    with pytest.raises(TaskNotFound):
        await tasks.requeue(BOB, dead)
    assert (await tasks.requeue(ADMIN_KEY, dead)).state is TaskState.PENDING


async def test_depends_on_names_only_tasks_you_may_see(tasks: TaskStore) -> None:
    theirs = (await tasks.submit(BOB, "compute")).task_id
    mine = (await tasks.submit(ALICE, "compute")).task_id
    with pytest.raises(UnknownDependency) as unknown:
        await tasks.submit(ALICE, "compute", depends_on=[mine, theirs])
    assert unknown.value.data == {"missing": [theirs]}  # as if it did not exist
    assert (await tasks.submit(ADMIN_KEY, "compute", depends_on=[theirs])).state is (
        TaskState.BLOCKED
    )


async def test_idempotency_keys_and_the_cache_are_each_principals_own(
    tasks: TaskStore,
) -> None:
    alice = await tasks.submit(ALICE, "compute", {"a": 1}, idempotency_key="k")
    bob = await tasks.submit(BOB, "compute", {"b": 2}, idempotency_key="k")
    assert bob.task_id != alice.task_id and not bob.deduplicated  # no conflict, no leak
    with pytest.raises(IdempotencyConflict):
        await tasks.submit(ALICE, "compute", {"b": 2}, idempotency_key="k")
    # A success cached for ALICE answers ALICE, never BOB (that would hand out her result).
    cached = (await tasks.submit(ALICE, "compute", "x", cache_ttl_s=60)).task_id
    worker = await register(tasks, ADMIN_KEY)
    for claimed in await tasks.claim(ADMIN_KEY, worker[0], 5, 0):
        await tasks.complete(ADMIN_KEY, claimed.task_id, claimed.lease_id, "private")
    assert (await tasks.get(ALICE, cached)).result == "private"
    assert (await tasks.submit(ALICE, "compute", "x", cache_ttl_s=60)).cached
    miss = await tasks.submit(BOB, "compute", "x", cache_ttl_s=60)
    assert (miss.state, miss.cached) == (TaskState.PENDING, False)


async def test_the_worker_holding_the_lease_sees_the_task_while_it_holds_it(
    tasks: TaskStore,
) -> None:
    task_id = (await tasks.submit(ALICE, "compute", {"input": 1})).task_id
    worker = await register(tasks, BOB)
    claimed = await claimed_as(tasks, BOB, worker)
    assert claimed.payload == {"input": 1}
    assert (await tasks.get(BOB, task_id)).payload == {"input": 1}
    assert [t.task_id for t in (await tasks.list_tasks(BOB)).tasks] == []  # not BOB's own
    [listed] = await tasks.list_workers(BOB)
    assert listed.running == [task_id]
    done = await tasks.complete(BOB, task_id, claimed.lease_id, {"output": 2})
    assert done.result == {"output": 2}  # the answer to its own report
    with pytest.raises(TaskNotFound):
        await tasks.get(BOB, task_id)  # the lease has ended: it is ALICE's again


async def test_an_anonymous_worker_works_by_token_and_lists_no_keys_tasks(
    tasks: TaskStore,
) -> None:
    task_id = (await tasks.submit(ALICE, "compute", "alice's")).task_id
    worker = await register(tasks, ANONYMOUS)
    claimed = await claimed_as(tasks, ANONYMOUS, worker)
    assert claimed.payload == "alice's"
    [listed] = await tasks.list_workers(ANONYMOUS)
    assert (listed.worker_id, listed.running) == (worker[0], [])  # never another's task id
    with pytest.raises(TaskNotFound):
        await tasks.get(ANONYMOUS, task_id)  # anonymous is everyone: no lease-holder view
    [admin_view] = await tasks.list_workers(ADMIN_KEY)
    assert admin_view.running == [task_id]
    done = await tasks.complete(ANONYMOUS, task_id, claimed.lease_id, 1, token=worker[1])
    assert done.state is TaskState.SUCCEEDED


# ---- workers belong to their registrant, and have a secret ------------------------------


async def test_registration_answers_a_fresh_high_entropy_token(tasks: TaskStore) -> None:
    registrations = [await tasks.register(ALICE, "w", ["compute"], ["default"], 1) for _ in "ab"]
    first, second = (r.worker_token for r in registrations)
    assert first != second and len(first) >= 43  # 32 random bytes, base64url
    [view, _] = await tasks.list_workers(ALICE)
    assert first not in view.model_dump_json()  # answered once, never shown again


async def test_a_worker_call_needs_its_token_or_its_registrant_or_admin(
    tasks: TaskStore,
) -> None:
    worker_id, token = await register(tasks, ALICE)
    anonymous_id, anonymous_token = await register(tasks, ANONYMOUS)
    # Allowed: the token from anyone, the same key, admin.
    assert await tasks.claim(BOB, worker_id, 1, 0, token=token) == []
    assert await tasks.claim(ANONYMOUS, anonymous_id, 1, 0, token=anonymous_token) == []
    assert await tasks.claim(ALICE, worker_id, 1, 0) == []
    assert (await tasks.worker_heartbeat(ADMIN_KEY, anonymous_id, [])).drain is False
    # Refused, as for a worker that never existed: another key, a wrong token, and
    # anonymous without the token (anonymous callers cannot be told apart).
    for call in (
        tasks.claim(BOB, worker_id, 1, 0),
        tasks.claim(BOB, worker_id, 1, 0, token=anonymous_token),
        tasks.claim(ALICE, anonymous_id, 1, 0, token=token),
        tasks.claim(ANONYMOUS, anonymous_id, 1, 0),
        tasks.worker_heartbeat(BOB, worker_id, []),
        tasks.deregister(ANONYMOUS, worker_id, token="x" * 43),
    ):
        with pytest.raises(WorkerNotFound) as refused:
            await call
        assert set(refused.value.data) == {"worker_id"}
    assert {w.worker_id for w in await tasks.list_workers(ADMIN_KEY)} == {worker_id, anonymous_id}


async def test_workers_list_shows_your_own_workers(tasks: TaskStore) -> None:
    alice, _ = await register(tasks, ALICE)
    bob, _ = await register(tasks, BOB)
    assert [w.worker_id for w in await tasks.list_workers(ALICE)] == [alice]
    assert [w.worker_id for w in await tasks.list_workers(BOB)] == [bob]
    assert await tasks.list_workers(ANONYMOUS) == []
    stats = await tasks.stats(ALICE)
    assert (stats.workers_online, stats.workers_offline) == (1, 0)
    assert (await tasks.stats(ADMIN_KEY)).workers_online == 2


async def test_lease_reports_need_the_holding_workers_credential(tasks: TaskStore) -> None:
    task_id = (await tasks.submit(ALICE, "compute")).task_id
    worker = await register(tasks, ANONYMOUS)
    claimed = await claimed_as(tasks, ANONYMOUS, worker)
    before = await tasks.get(ALICE, task_id)
    for call in (
        tasks.complete(BOB, task_id, claimed.lease_id, "forged"),
        tasks.complete(ANONYMOUS, task_id, claimed.lease_id, "forged"),
        tasks.fail(ALICE, task_id, claimed.lease_id, "x", False),  # the owner is not the worker
        tasks.heartbeat(BOB, task_id, claimed.lease_id, 0.5),
        tasks.release(BOB, task_id, claimed.lease_id, token="wrong"),
    ):
        with pytest.raises(WorkerNotFound):
            await call
    assert await tasks.get(ALICE, task_id) == before
    view = await tasks.complete(ANONYMOUS, task_id, claimed.lease_id, 3, token=worker[1])
    assert (view.state, view.result) == (TaskState.SUCCEEDED, 3)


# ---- leases are fenced end to end -------------------------------------------------------


async def test_a_released_lease_is_over_for_good(tasks: TaskStore) -> None:
    task_id = (await tasks.submit(ALICE, "compute")).task_id
    worker = await register(tasks, ALICE)
    claimed = await claimed_as(tasks, ALICE, worker)
    released = await tasks.release(ALICE, task_id, claimed.lease_id)
    assert await tasks.release(ALICE, task_id, claimed.lease_id) == released  # a repeat
    for call in (
        tasks.complete(ALICE, task_id, claimed.lease_id, "late"),
        tasks.fail(ALICE, task_id, claimed.lease_id, "late", False),
        tasks.heartbeat(ALICE, task_id, claimed.lease_id, 0.5),
        tasks.complete(ADMIN_KEY, task_id, claimed.lease_id, "late"),
    ):
        with pytest.raises(LeaseLost):
            await call
    assert await tasks.get(ALICE, task_id) == released


async def test_a_lease_ended_by_deregistration_is_over_for_good(tasks: TaskStore) -> None:
    task_id = (await tasks.submit(ALICE, "compute")).task_id
    worker = await register(tasks, ANONYMOUS)
    claimed = await claimed_as(tasks, ANONYMOUS, worker)
    await tasks.deregister(ANONYMOUS, worker[0], token=worker[1])
    after = await tasks.get(ALICE, task_id)
    assert (after.state, after.attempts[0].outcome) == (TaskState.PENDING, Outcome.RELEASED)
    for call in (
        tasks.complete(ANONYMOUS, task_id, claimed.lease_id, "late", token=worker[1]),
        tasks.release(ANONYMOUS, task_id, claimed.lease_id, token=worker[1]),
        tasks.heartbeat(ADMIN_KEY, task_id, claimed.lease_id, 0.5),
    ):
        with pytest.raises(LeaseLost) as lost:
            await call
        assert lost.value.data == {"task_id": task_id, "state": "pending"}
    assert await tasks.get(ALICE, task_id) == after


async def test_a_verdict_repeats_harmlessly_only_while_it_is_the_latest(
    tasks: TaskStore, clock: ManualClock
) -> None:
    task_id = (await tasks.submit(ALICE, "compute")).task_id
    worker = await register(tasks, ALICE)
    first = await claimed_as(tasks, ALICE, worker)
    failed = await tasks.fail(ALICE, task_id, first.lease_id, "boom", True)
    assert await tasks.fail(ALICE, task_id, first.lease_id, "boom", True) == failed
    with pytest.raises(LeaseLost):  # another verdict is not a repeat: never "accepted"
        await tasks.complete(ALICE, task_id, first.lease_id, "x")
    with pytest.raises(LeaseLost):
        await tasks.release(ALICE, task_id, first.lease_id)  # a verdict is not a release
    clock.advance(failed.ready_at - clock.time())
    second = await claimed_as(tasks, ALICE, worker)
    with pytest.raises(LeaseLost):
        await tasks.fail(ALICE, task_id, first.lease_id, "boom", True)  # a newer attempt runs
    done = await tasks.complete(ALICE, task_id, second.lease_id, 7)
    assert await tasks.complete(ALICE, task_id, second.lease_id, 8) == done  # a retry


async def test_the_takeover_sequence_is_refused_at_every_step(tasks: TaskStore) -> None:
    # The probe's attack, with BOB the attacker and an anonymous victim worker: every step
    # it took is refused, and the victim's own report still counts.
    task_id = (await tasks.submit(ALICE, "compute", {"secret": "s3cr3t"})).task_id
    victim = await register(tasks, ANONYMOUS)
    claimed = await claimed_as(tasks, ANONYMOUS, victim)
    assert await tasks.list_workers(BOB) == []  # 1. no worker ids to take over
    assert (await tasks.list_tasks(BOB)).tasks == []  # ...and no payloads to read
    refusals = (
        tasks.deregister(BOB, victim[0]),  # 2. release the victim's leases
        tasks.claim(BOB, victim[0], 1, 0),  # 3. claim in its name
        tasks.worker_heartbeat(BOB, victim[0], []),  # 4. keep it "online"
        tasks.complete(BOB, task_id, claimed.lease_id, "forged"),  # 5. forge the result
        tasks.cancel(BOB, task_id),  # 6. cancel any task
        tasks.get(BOB, task_id),
    )
    for call in refusals:
        with pytest.raises((WorkerNotFound, TaskNotFound)):
            await call
    running = [RunningTask(task_id=task_id, lease_id=claimed.lease_id)]
    beat = await tasks.worker_heartbeat(ANONYMOUS, victim[0], running, token=victim[1])
    assert (beat.cancel, list(beat.leases)) == ([], [task_id])  # the victim is untouched
    done = await tasks.complete(ANONYMOUS, task_id, claimed.lease_id, 42, token=victim[1])
    assert (done.state, done.result, [a.worker_id for a in done.attempts]) == (
        TaskState.SUCCEEDED,
        42,
        [victim[0]],
    )


async def test_with_the_token_a_deregistration_still_fences_the_stale_lease(
    tasks: TaskStore,
) -> None:
    # The probe's last step with a leaked token: deregister the victim, complete the task
    # with a new worker, then the victim's old lease completing must get 5002, not success.
    task_id = (await tasks.submit(ALICE, "compute")).task_id
    victim = await register(tasks, ANONYMOUS)
    old = await claimed_as(tasks, ANONYMOUS, victim)
    await tasks.deregister(BOB, victim[0], token=victim[1])
    attacker = await register(tasks, BOB)
    forged = await claimed_as(tasks, BOB, attacker)
    await tasks.complete(BOB, task_id, forged.lease_id, "forged")
    with pytest.raises(LeaseLost):
        await tasks.complete(ANONYMOUS, task_id, old.lease_id, 42, token=victim[1])
    with pytest.raises(LeaseLost):
        await tasks.complete(ADMIN_KEY, task_id, old.lease_id, 42)
