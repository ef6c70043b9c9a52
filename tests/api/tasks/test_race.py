"""Many workers claiming at once: every task is claimed exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from app.server.keys import STORES
from tests.helpers.rpc import MakeClient, post
from tests.helpers.tasks import Arrivals, Queue

CLAIMERS = 20
TASKS = 100


async def test_twenty_claimers_and_a_hundred_tasks(make_client: MakeClient) -> None:
    q = Queue(await make_client(), clock=None)  # type: ignore[arg-type]
    workers = [await q.worker(capacity=TASKS) for _ in range(CLAIMERS)]
    claims: list[dict[str, Any]] = []
    done = asyncio.Event()

    async def claimer(worker: str) -> None:
        while not done.is_set():
            got = await q.claim(worker, max_tasks=3, wait_s=5)
            claims.extend(got)
            if len(claims) >= TASKS:
                done.set()
                q.client.app[STORES].drain()  # ends the others' long-polls at once

    running = [asyncio.create_task(claimer(worker)) for worker in workers]
    # Half the tasks are there before the claimers look; half arrive while they wait.
    half = TASKS // 2
    status, body = await post(
        q.client,
        [
            {
                "jsonrpc": "2.0",
                "method": "tasks.submit",
                "params": {"type": "compute", "payload": i},
                "id": i,
            }
            for i in range(half)
        ],
    )
    assert status == 200 and all("result" in item for item in body)
    submitted = {item["result"]["task_id"] for item in body}
    for i in range(half, TASKS):
        submitted.add(await q.submit(payload=i))
    async with asyncio.timeout(30):
        await asyncio.gather(*running)

    counts = Counter(claim["task_id"] for claim in claims)
    assert set(counts) == submitted
    assert set(counts.values()) == {1}
    assert {claim["attempt"] for claim in claims} == {1}
    assert len({claim["lease_id"] for claim in claims}) == TASKS


async def test_concurrent_immediate_claims_in_one_batch(make_client: MakeClient) -> None:
    q = Queue(await make_client(max_batch=200), clock=None)  # type: ignore[arg-type]
    submitted = {await q.submit(payload=i) for i in range(TASKS)}
    workers = [await q.worker(capacity=TASKS) for _ in range(CLAIMERS)]
    claimed: list[str] = []
    while len(claimed) < TASKS:
        _, body = await post(
            q.client,
            [
                {
                    "jsonrpc": "2.0",
                    "method": "tasks.claim",
                    "params": q.as_worker(w, max_tasks=2),
                    "id": n,
                }
                for n, w in enumerate(workers)
            ],
        )
        got = [task["task_id"] for item in body for task in item["result"]]
        assert got, "ready tasks must be handed out"
        claimed.extend(got)
    assert sorted(claimed) == sorted(submitted)


async def test_waiting_claims_and_heartbeats_in_one_batch(make_client: MakeClient) -> None:
    # One request carries every worker's long-poll claim and heartbeat; tasks arrive while
    # it waits. Each claim gets one task, FIFO, and no task goes out twice.
    q = Queue(await make_client(max_batch=200, batch_concurrency=100), clock=None)  # type: ignore[arg-type]
    arrivals = Arrivals.of(q)
    workers = [await q.worker(capacity=1) for _ in range(CLAIMERS)]
    batch = []
    for n, worker in enumerate(workers):
        claim = q.as_worker(worker, wait_s=10)
        batch.append({"jsonrpc": "2.0", "method": "tasks.claim", "params": claim, "id": n})
        beat = q.as_worker(worker, running=[])
        batch.append(
            {"jsonrpc": "2.0", "method": "workers.heartbeat", "params": beat, "id": -n - 1}
        )
    sent = asyncio.create_task(post(q.client, batch))
    await arrivals.until(lambda: arrivals.claims == CLAIMERS)
    submitted = [await q.submit(payload=i) for i in range(CLAIMERS)]
    status, body = await sent
    assert status == 200
    answers = {item["id"]: item["result"] for item in body}
    claimed = [[task["task_id"] for task in answers[n]] for n in range(CLAIMERS)]
    assert claimed == [[task_id] for task_id in submitted]  # first come, first served
    assert all(answers[-n - 1]["cancel"] == [] for n in range(CLAIMERS))
