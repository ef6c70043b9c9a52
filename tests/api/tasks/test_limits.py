"""The task queue's caps and quotas through /rpc: each refusal's code and data, and paging
workers.list. All calls here are anonymous: every anonymous caller is one principal."""

from __future__ import annotations

from tests.helpers.rpc import MakeClient
from tests.helpers.tasks import make_queue

MIB = 1024 * 1024
BIG = "x" * 60_000
DAY = 86_400


async def test_a_quota_of_tasks_gets_32006(make_client: MakeClient) -> None:
    q = await make_queue(make_client, task_max_tasks_per_owner=2)
    await q.submit()
    await q.submit()
    err = await q.error("tasks.submit", {"type": "compute"})
    assert err == {
        "code": -32006,
        "message": "Quota exceeded",
        "data": {"resource": "tasks", "limit": 2, "held": 2},
    }


async def test_a_quota_of_bytes_gets_32006(make_client: MakeClient) -> None:
    q = await make_queue(make_client, task_max_bytes_per_owner=100_000)
    await q.submit(payload=BIG)
    err = await q.error("tasks.submit", {"type": "compute", "payload": BIG})
    assert err == {
        "code": -32006,
        "message": "Quota exceeded",
        "data": {"resource": "task_bytes", "limit": 100_000, "held": 60_010, "size": 60_010},
    }


async def test_a_full_byte_budget_gets_32005_for_submits_and_results(
    make_client: MakeClient,
) -> None:
    q = await make_queue(make_client, task_max_bytes=MIB)
    for _ in range(13):
        await q.submit(payload=BIG)
    err = await q.error("tasks.submit", {"type": "compute", "payload": BIG})
    assert err == {
        "code": -32005,
        "message": "Server overloaded",
        "data": {"resource": "task_bytes", "limit": 3 * MIB // 4, "size": 60_010},
    }
    worker = await q.worker(capacity=13)
    for _ in range(4):  # the last quarter is kept for results
        await q.complete(await q.claim_one(worker), BIG)
    claimed = await q.claim_one(worker)
    err = await q.error("tasks.complete", {**q.lease(claimed), "result": BIG})
    assert err == {
        "code": -32005,
        "message": "Server overloaded",
        "data": {"resource": "task_bytes", "limit": MIB, "size": 59_998},
    }
    assert await q.state(claimed["task_id"]) == "running"  # nothing changed: retry later


async def test_an_error_over_the_size_limit_gets_32602(make_client: MakeClient) -> None:
    q = await make_queue(make_client, task_max_payload_bytes=100)
    await q.submit()
    claimed = await q.claim_one(await q.worker())
    err = await q.error("tasks.fail", {**q.lease(claimed), "error": "e" * 100})
    assert err["code"] == -32602
    assert (err["data"][0]["path"], err["data"][0]["type"]) == ("error", "too_large")


async def test_a_run_time_past_the_pending_ttl_gets_32602(make_client: MakeClient) -> None:
    q = await make_queue(make_client, task_pending_ttl_s=DAY)
    err = await q.error("tasks.submit", {"type": "compute", "delay_s": DAY})
    [problem] = err["data"]
    assert err["code"] == -32602
    assert (problem["path"], problem["type"], problem["value"]) == ("delay_s", "too_late", DAY)
    run_at = q.clock.time() + 2 * DAY
    err = await q.error("tasks.submit", {"type": "compute", "run_at": run_at})
    assert (err["data"][0]["path"], err["data"][0]["value"]) == ("run_at", run_at)


async def test_a_task_that_waits_too_long_is_dead_for_its_owner_to_see(
    make_client: MakeClient,
) -> None:
    q = await make_queue(make_client, task_pending_ttl_s=DAY)
    task = await q.submit()
    child = await q.submit(depends_on=[task])
    q.clock.advance(DAY)
    view = await q.get(task)
    assert (view["state"], view["emoji"], view["reason"]) == ("dead", "💀", "pending_ttl")
    view = await q.get(child)
    assert (view["state"], view["reason"]) == ("cancelled", "upstream_failed")
    assert (await q.call("tasks.requeue", {"task_id": task}))["state"] == "pending"


async def test_releases_count_and_the_history_keeps_the_newest(make_client: MakeClient) -> None:
    q = await make_queue(make_client, task_attempts_kept=2)
    task = await q.submit(max_attempts=5)
    worker = await q.worker()
    for _ in range(7):  # two releases are free, then five use up the attempts
        view = await q.call("tasks.release", q.lease(await q.claim_one(worker)))
    assert (view["state"], view["reason"], view["attempt"]) == ("dead", "released", 7)
    assert [a["number"] for a in view["attempts"]] == [6, 7]
    assert (await q.get(task))["attempts"] == view["attempts"]


async def test_a_quota_and_a_cap_of_workers_get_32006_and_32005(make_client: MakeClient) -> None:
    q = await make_queue(make_client, worker_max_workers_per_owner=1)
    await q.worker()
    err = await q.error("workers.register", {"name": "w", "types": ["compute"]})
    assert err == {
        "code": -32006,
        "message": "Quota exceeded",
        "data": {"resource": "workers", "limit": 1, "held": 1},
    }
    q = await make_queue(make_client, worker_max_workers=1)
    await q.worker()
    err = await q.error("workers.register", {"name": "w", "types": ["compute"]})
    assert err == {
        "code": -32005,
        "message": "Server overloaded",
        "data": {"resource": "workers", "limit": 1},
    }


async def test_workers_list_pages(make_client: MakeClient) -> None:
    q = await make_queue(make_client)
    ids = sorted([await q.worker() for _ in range(5)])
    assert [w["worker_id"] for w in await q.call("workers.list")] == ids  # no params: page 1
    pages = []
    after = None
    while True:
        page = await q.call("workers.list", {"after": after, "limit": 2})
        pages.append([w["worker_id"] for w in page])
        if len(page) < 2:
            break
        after = page[-1]["worker_id"]
    assert pages == [ids[:2], ids[2:4], ids[4:]]
    assert (await q.error("workers.list", {"limit": 501}))["code"] == -32602


async def test_a_worker_serves_at_most_1000_type_and_queue_pairs(make_client: MakeClient) -> None:
    """Each claim looks at every pair with ready tasks: the bound is what one claim costs."""
    q = await make_queue(make_client)
    many = {
        "name": "w",
        "types": [f"t{n}" for n in range(100)],
        "queues": [f"q{n}" for n in range(11)],
    }
    err = await q.error("workers.register", many)
    assert err["code"] == -32602
    assert err["data"] == [
        {
            "path": "queues",
            "problem": "1100 type-and-queue pairs; at most 1000: run more workers instead",
            "type": "too_many",
        }
    ]
    many["queues"] = many["queues"][:10]
    assert "worker_id" in await q.call("workers.register", many)
