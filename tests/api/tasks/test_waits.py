"""Long-polls: waiting claims (FIFO, by type), waiting gets, draining, and real-time timers."""

from __future__ import annotations

import asyncio
from typing import Any

from app.server.keys import STORES
from tests.helpers.rpc import MakeClient, post
from tests.helpers.tasks import Arrivals, Queue, make_queue


async def test_waiting_claims_are_served_first_come_first_served(make_client: MakeClient) -> None:
    q = await make_queue(make_client)
    arrivals = Arrivals.of(q)
    first, second = await q.worker(), await q.worker()
    first_claim = asyncio.create_task(q.claim(first, wait_s=10))
    await arrivals.until(lambda: arrivals.claims == 1)
    second_claim = asyncio.create_task(q.claim(second, wait_s=10))
    await arrivals.until(lambda: arrivals.claims == 2)
    a = await q.submit(payload="a")
    assert [c["task_id"] for c in await first_claim] == [a]
    assert not second_claim.done()
    b = await q.submit(payload="b")
    assert [c["task_id"] for c in await second_claim] == [b]


async def test_a_waiting_claim_only_gets_the_types_it_declared(make_client: MakeClient) -> None:
    q = await make_queue(make_client)
    arrivals = Arrivals.of(q)
    transformer, computer = await q.worker(["transform"]), await q.worker(["compute"])
    waits = [
        asyncio.create_task(q.claim(w, max_tasks=5, wait_s=10)) for w in (transformer, computer)
    ]
    await arrivals.until(lambda: arrivals.claims == 2)
    task = await q.submit("compute")
    assert [c["task_id"] for c in await waits[1]] == [task]
    assert not waits[0].done()
    other = await q.submit("transform")
    assert [c["task_id"] for c in await waits[0]] == [other]


async def test_a_worker_with_room_again_gets_what_its_waiting_claim_could_not_take(
    make_client: MakeClient,
) -> None:
    # Two claims from one worker with room for one task: the second waits while it is full,
    # and must be served as soon as the first task ends, not when its wait runs out.
    q = await make_queue(make_client)
    arrivals = Arrivals.of(q)
    worker = await q.worker(capacity=1)
    first = asyncio.create_task(q.claim(worker, wait_s=10))
    second = asyncio.create_task(q.claim(worker, wait_s=10))
    await arrivals.until(lambda: arrivals.claims == 2)
    a = await q.submit(payload="a")
    [claimed] = await first
    assert claimed["task_id"] == a
    b = await q.submit(payload="b")
    assert arrivals.claims == 1 and await q.state(b) == "pending"  # the worker is full
    await q.complete(claimed)
    assert [c["task_id"] for c in await second] == [b]


async def test_a_claim_that_waits_in_vain_returns_an_empty_list(make_client: MakeClient) -> None:
    q = await make_queue(make_client)
    arrivals = Arrivals.of(q)
    worker = await q.worker()
    assert await q.claim(worker, wait_s=0.05) == []
    assert arrivals.claims == 0
    # Nothing of it stays behind in the store to take a later task.
    assert await q.state(await q.submit()) == "pending"


async def test_long_polls_in_a_batch_run_out_on_their_own(make_client: MakeClient) -> None:
    # A batch item's wait running out ends that item only, never the batch or its request.
    q = await make_queue(make_client)
    worker = await q.worker(["transform"])
    task = await q.submit()
    status, body = await post(
        q.client,
        [
            {
                "jsonrpc": "2.0",
                "method": "tasks.claim",
                "params": q.as_worker(worker, wait_s=0.05),
                "id": 1,
            },
            {
                "jsonrpc": "2.0",
                "method": "tasks.get",
                "params": {"task_id": task, "wait_s": 0.05},
                "id": 2,
            },
            {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": 3},
        ],
    )
    assert status == 200
    assert [item["id"] for item in body] == [1, 2, 3]
    assert body[0]["result"] == []
    assert body[1]["result"]["state"] == "pending"
    assert body[2]["result"] == 3


async def test_a_delayed_task_reaches_a_waiting_claim_when_its_time_comes(
    make_client: MakeClient,
) -> None:
    q = await make_queue(make_client)
    arrivals = Arrivals.of(q)
    worker = await q.worker()
    task = await q.submit(delay_s=5)
    waiting = asyncio.create_task(q.claim(worker, wait_s=10))
    await arrivals.until(lambda: arrivals.claims == 1)
    q.clock.advance(5)
    await q.call("tasks.stats")  # any call fires the deadlines that passed on the store clock
    assert [c["task_id"] for c in await waiting] == [task]


async def test_get_can_wait_for_the_task_to_finish(make_client: MakeClient) -> None:
    q = await make_queue(make_client)
    arrivals = Arrivals.of(q)
    task = await q.submit()
    claimed = await q.claim_one(await q.worker())
    waiting = asyncio.create_task(q.get(task, wait_s=10))
    await arrivals.until(lambda: arrivals.watched(task))
    await q.complete(claimed, 42)
    view = await waiting
    assert (view["state"], view["result"]) == ("succeeded", 42)
    # A task still pending comes back as it is once the wait runs out.
    other = await q.submit()
    assert (await q.get(other, wait_s=0.05))["state"] == "pending"


async def test_draining_ends_long_polls_and_tells_workers(make_client: MakeClient) -> None:
    q = await make_queue(make_client)
    arrivals = Arrivals.of(q)
    worker = await q.worker()
    task = await q.submit(delay_s=100)
    claim = asyncio.create_task(q.claim(worker, wait_s=30))
    get = asyncio.create_task(q.get(task, wait_s=60))
    await arrivals.until(lambda: arrivals.claims == 1 and arrivals.watched(task))
    q.client.app[STORES].drain()
    assert await claim == []
    assert (await get)["state"] == "scheduled"
    answer = await q.call("workers.heartbeat", q.as_worker(worker))
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
