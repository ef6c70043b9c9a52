"""Long-polls: waiting claims (FIFO, by type), waiting gets, draining, and real-time timers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from app.clock import ManualClock
from app.keys import STORE
from app.settings import Settings
from app.tasks.model import Outcome, TaskState
from app.tasks.store import TaskStore
from tests.conftest import MakeClient
from tests.task_helpers import Queue, make_queue


async def until(condition: Callable[[], bool]) -> None:
    """Let the event loop run until ``condition`` holds (bounded; no fixed sleeps).

    The store has no event for "a claim started waiting", and should not grow one for tests,
    so this yields to the loop (sleep(0) is a turn, not a delay) until the request arrived.
    """
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0)


def waiting_claims(q: Queue) -> int:
    return len(q.client.app[STORE].tasks._claims)


async def test_waiting_claims_are_served_first_come_first_served(make_client: MakeClient) -> None:
    q = await make_queue(make_client)
    first, second = await q.worker(), await q.worker()
    first_claim = asyncio.create_task(q.claim(first, wait_s=10))
    await until(lambda: waiting_claims(q) == 1)
    second_claim = asyncio.create_task(q.claim(second, wait_s=10))
    await until(lambda: waiting_claims(q) == 2)
    a = await q.submit(payload="a")
    assert [c["task_id"] for c in await first_claim] == [a]
    assert not second_claim.done()
    b = await q.submit(payload="b")
    assert [c["task_id"] for c in await second_claim] == [b]


async def test_a_waiting_claim_only_gets_the_types_it_declared(make_client: MakeClient) -> None:
    q = await make_queue(make_client)
    transformer, computer = await q.worker(["transform"]), await q.worker(["compute"])
    waits = [
        asyncio.create_task(q.claim(w, max_tasks=5, wait_s=10)) for w in (transformer, computer)
    ]
    await until(lambda: waiting_claims(q) == 2)
    task = await q.submit("compute")
    assert [c["task_id"] for c in await waits[1]] == [task]
    assert not waits[0].done()
    other = await q.submit("transform")
    assert [c["task_id"] for c in await waits[0]] == [other]


async def test_a_claim_that_waits_in_vain_returns_an_empty_list(make_client: MakeClient) -> None:
    q = await make_queue(make_client)
    assert await q.claim(await q.worker(), wait_s=0.05) == []
    assert waiting_claims(q) == 0


async def test_a_delayed_task_reaches_a_waiting_claim_when_its_time_comes(
    make_client: MakeClient,
) -> None:
    q = await make_queue(make_client)
    worker = await q.worker()
    task = await q.submit(delay_s=5)
    waiting = asyncio.create_task(q.claim(worker, wait_s=10))
    await until(lambda: waiting_claims(q) == 1)
    q.clock.advance(5)
    await q.call("tasks.stats")  # any call fires the deadlines that passed on the store clock
    assert [c["task_id"] for c in await waiting] == [task]


async def test_get_can_wait_for_the_task_to_finish(make_client: MakeClient) -> None:
    q = await make_queue(make_client)
    task = await q.submit()
    waiting = asyncio.create_task(q.get(task, wait_s=10))
    claimed = await q.claim_one(await q.worker())
    assert not waiting.done()
    await q.complete(claimed, 42)
    view = await waiting
    assert (view["state"], view["result"]) == ("succeeded", 42)
    # A task still pending comes back as it is once the wait runs out.
    other = await q.submit()
    assert (await q.get(other, wait_s=0.05))["state"] == "pending"


async def test_draining_ends_long_polls_and_tells_workers(make_client: MakeClient) -> None:
    q = await make_queue(make_client)
    worker = await q.worker()
    task = await q.submit(delay_s=100)
    claim = asyncio.create_task(q.claim(worker, wait_s=30))
    get = asyncio.create_task(q.get(task, wait_s=60))
    await until(lambda: waiting_claims(q) == 1 and task in q.client.app[STORE].tasks._watchers)
    q.client.app[STORE].drain()
    assert await claim == []
    assert (await get)["state"] == "scheduled"
    answer = await q.call("workers.heartbeat", {"worker_id": worker})
    assert answer["drain"] is True
    await q.submit()
    assert await q.claim(worker, wait_s=30) == []  # at once: no new work while stopping


async def test_real_time_timers_expire_leases_without_any_call(make_client: MakeClient) -> None:
    # The system clock and short settings: the store's own timer loop must fire the deadline.
    client = await make_client(task_lease_ttl_s=0.05, worker_heartbeat_s=60)
    q = Queue(client, clock=None)  # type: ignore[arg-type]
    task = await q.submit(max_attempts=1)
    claimed = await q.claim_one(await q.worker())
    view: dict[str, Any] = await q.get(task, wait_s=10)
    assert (view["state"], view["reason"]) == ("dead", "expired")
    assert view["attempts"][0]["lease_id"] == claimed["lease_id"]


async def test_a_claim_cancelled_after_it_was_served_gives_its_tasks_back() -> None:
    # A caller that goes away (a shutdown) must not leave tasks leased to nobody.
    store = TaskStore(Settings(), ManualClock())
    worker = await store.register("w", frozenset({"compute"}), frozenset({"default"}), 5)
    claim = asyncio.create_task(store.claim(worker.id, 5, wait_s=10))
    await until(lambda: len(store._claims) == 1)
    submitted = await store.submit("compute", 1)  # served to the waiting claim at once...
    assert submitted.task.state is TaskState.RUNNING
    claim.cancel()  # ...but its caller is cancelled before it could see the answer
    with pytest.raises(asyncio.CancelledError):
        await claim
    assert submitted.task.state is TaskState.PENDING
    assert [a.outcome for a in submitted.task.attempts] == [Outcome.RELEASED]
