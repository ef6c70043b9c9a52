"""tasks.* over /rpc on a manual clock: states, priorities, delays, retries, leases, expiry."""

from __future__ import annotations

from app.settings import Settings
from app.tasks.models import TaskState
from tests.helpers.rpc import MakeClient
from tests.helpers.tasks import Queue, make_queue


async def test_a_task_runs_from_pending_to_succeeded(q: Queue) -> None:
    answer = await q.call("tasks.submit", {"type": "compute", "payload": {"op": "add"}})
    assert answer | {"task_id": "x"} == {
        "task_id": "x",
        "state": "pending",
        "emoji": "⏳",
        "deduplicated": False,
        "cached": False,
    }
    worker = await q.worker()
    claimed = await q.claim_one(worker)
    assert claimed["task_id"] == answer["task_id"]
    assert claimed["attempt"] == 1 and claimed["dep_results"] == {}
    assert claimed["lease_expires_at"] == q.clock.time() + 30
    running = await q.get(answer["task_id"])
    assert (running["state"], running["emoji"], running["worker_id"]) == ("running", "🏃", worker)
    assert running["attempts"][0]["lease_id"] is None  # a live lease is the worker's secret
    done = await q.complete(claimed, 5)
    assert (done["state"], done["emoji"], done["result"]) == ("succeeded", "✅", 5)
    assert done["attempts"][0]["lease_id"] == claimed["lease_id"]
    assert done["attempts"][0]["outcome"] == "succeeded"


def test_every_state_has_its_emoji() -> None:
    emoji = {state.value: state.emoji for state in TaskState}
    assert emoji == {
        "blocked": "⛓",
        "scheduled": "📅",
        "pending": "⏳",
        "running": "🏃",
        "succeeded": "✅",
        "failed": "❌",
        "cancelled": "🚫",
        "dead": "💀",
    }


async def test_priority_first_then_ready_time_then_submit_order(q: Queue) -> None:
    low = await q.submit(payload=1, priority="low")
    normal_1 = await q.submit(payload=2)
    q.clock.advance(1)
    critical = await q.submit(payload=3, priority="critical")
    normal_2 = await q.submit(payload=4)
    high = await q.submit(payload=5, priority="high")
    normal_3 = await q.submit(payload=6, delay_s=0.5)  # ready earlier than it was submitted...
    q.clock.advance(0.5)
    worker = await q.worker()
    order = [(await q.claim_one(worker))["task_id"] for _ in range(6)]
    # ...but a delay counts from submit, so it is ready at +1.5: after normal_2 (ready at +1).
    assert order == [critical, high, normal_1, normal_2, normal_3, low]


async def test_a_delay_schedules_the_task(q: Queue) -> None:
    task = await q.submit(delay_s=10)
    assert await q.state(task) == "scheduled"
    worker = await q.worker()
    assert await q.claim(worker) == []
    q.clock.advance(9.9)
    assert await q.claim(worker) == []
    q.clock.advance(0.1)
    assert (await q.claim_one(worker))["task_id"] == task


async def test_run_at_is_an_absolute_time_and_excludes_delay(q: Queue) -> None:
    task = await q.submit(run_at=q.clock.time() + 60)
    view = await q.get(task)
    assert (view["state"], view["emoji"], view["ready_at"]) == (
        "scheduled",
        "📅",
        q.clock.time() + 60,
    )
    err = await q.error("tasks.submit", {"type": "compute", "delay_s": 1, "run_at": q.clock.time()})
    assert err["code"] == -32602 and err["data"][0]["path"] == "run_at"


async def test_failures_retry_with_growing_backoff_until_dead(q: Queue) -> None:
    await q.submit(max_attempts=3)
    worker = await q.worker()
    delays = []
    for attempt in (1, 2):
        claimed = await q.claim_one(worker)
        assert claimed["attempt"] == attempt
        view = await q.fail(claimed)
        assert view["state"] == "scheduled"
        delays.append(view["ready_at"] - q.clock.time())
        assert await q.claim(worker) == []  # not before its backoff ends
        q.clock.advance(delays[-1])
    # Equal jitter: the n-th retry waits between half and all of base * 2^(n-1).
    assert 0.5 <= delays[0] <= 1.0 and 1.0 <= delays[1] <= 2.0
    view = await q.fail(await q.claim_one(worker))
    assert (view["state"], view["emoji"], view["reason"]) == ("dead", "💀", "failed")
    assert [a["outcome"] for a in view["attempts"]] == ["failed"] * 3
    assert view["error"] == {"message": "boom"}


async def test_retries_of_failures_at_the_same_moment_spread_out(q: Queue) -> None:
    # Jitter: a burst of failures must not come back as a burst of retries.
    worker = await q.worker(capacity=20)
    for i in range(20):
        await q.submit(payload=i)
    now = q.clock.time()
    ready_at = [(await q.fail(claimed))["ready_at"] for claimed in await q.claim(worker, 20)]
    assert all(now + 0.5 <= at <= now + 1.0 for at in ready_at)  # half to all of the base
    assert len(set(ready_at)) > 10


async def test_a_failure_that_is_not_retryable_fails_at_once(q: Queue) -> None:
    task = await q.submit()
    worker = await q.worker()
    view = await q.fail(await q.claim_one(worker), retryable=False)
    assert (view["state"], view["emoji"]) == ("failed", "❌")
    assert await q.claim(worker) == []
    assert (await q.error("tasks.requeue", {"task_id": task}))["code"] == 5006


async def test_requeue_brings_a_dead_task_back_with_a_fresh_budget(q: Queue) -> None:
    task = await q.submit(max_attempts=1)
    worker = await q.worker()
    await q.fail(await q.claim_one(worker))
    assert await q.state(task) == "dead"
    view = await q.call("tasks.requeue", {"task_id": task})
    assert (view["state"], view["finished_at"]) == ("pending", None)
    claimed = await q.claim_one(worker)
    assert claimed["attempt"] == 2
    assert (await q.complete(claimed))["state"] == "succeeded"
    err = await q.error("tasks.requeue", {"task_id": task})
    assert err["code"] == 5006 and err["data"]["state"] == "succeeded"


async def test_idempotency_key_returns_the_original_task(q: Queue) -> None:
    params = {"type": "compute", "payload": {"a": 1, "b": 2}, "idempotency_key": "order-42"}
    first = await q.call("tasks.submit", params)
    again = await q.call("tasks.submit", {**params, "payload": {"b": 2, "a": 1}})
    assert again["task_id"] == first["task_id"] and again["deduplicated"] is True
    err = await q.error("tasks.submit", {**params, "payload": {"a": 1, "b": 3}})
    assert err["code"] == 5005
    assert err["data"] == {"idempotency_key": "order-42", "task_id": first["task_id"]}
    stats = await q.call("tasks.stats")
    assert stats["total"] == 1


async def test_cache_answers_a_recent_success_without_running(q: Queue) -> None:
    payload = {"op": "add", "a": 1, "b": 2}
    worker = await q.worker()
    first = await q.submit(payload=payload, cache_ttl_s=60)
    await q.complete(await q.claim_one(worker), 3)
    hit = await q.call("tasks.submit", {"type": "compute", "payload": payload, "cache_ttl_s": 60})
    assert (hit["state"], hit["cached"]) == ("succeeded", True)
    assert hit["task_id"] != first
    view = await q.get(hit["task_id"])
    assert (view["result"], view["attempts"], view["reason"]) == (3, [], "cached")
    # Without asking for the cache, it runs again; after the TTL, the cache is empty.
    assert (await q.call("tasks.submit", {"type": "compute", "payload": payload}))[
        "cached"
    ] is False
    q.clock.advance(60)
    miss = await q.call("tasks.submit", {"type": "compute", "payload": payload, "cache_ttl_s": 60})
    assert (miss["state"], miss["cached"]) == ("pending", False)


async def test_failures_are_never_cached(q: Queue) -> None:
    worker = await q.worker()
    await q.submit(payload="x", cache_ttl_s=60)
    await q.fail(await q.claim_one(worker), retryable=False)
    again = await q.call("tasks.submit", {"type": "compute", "payload": "x", "cache_ttl_s": 60})
    assert (again["state"], again["cached"]) == ("pending", False)


async def test_results_expire_and_then_are_not_found(q: Queue) -> None:
    task = await q.submit(result_ttl_s=10)
    pending = await q.get(task)
    assert pending["state"] == "pending"  # pending is not "not found"
    worker = await q.worker()
    done = await q.complete(await q.claim_one(worker))
    assert done["expires_at"] == q.clock.time() + 10
    q.clock.advance(9.9)
    assert await q.state(task) == "succeeded"
    q.clock.advance(0.1)
    err = await q.error("tasks.get", {"task_id": task})
    assert err == {"code": 5001, "message": "Task not found", "data": {"task_id": task}}
    assert (await q.call("tasks.stats"))["expired"] == 1


async def test_a_stale_lease_is_fenced_out(q: Queue) -> None:
    await q.submit(timeout_s=100)
    a, b = await q.worker(), await q.worker()
    first = await q.claim_one(a)
    q.clock.advance(20)
    await q.call("workers.heartbeat", q.as_worker(a, running=[]))  # alive, lease not renewed
    q.clock.advance(10)  # the lease lapses
    retry = await q.get(first["task_id"])
    assert retry["state"] == "scheduled"  # a lapsed lease is a charged attempt: backoff
    q.clock.advance(retry["ready_at"] - q.clock.time())
    second = await q.claim_one(b)
    assert second["attempt"] == 2 and second["lease_id"] != first["lease_id"]
    for method, extra in [
        ("tasks.complete", {"result": 1}),
        ("tasks.fail", {"error": "x"}),
        ("tasks.heartbeat", {}),
        ("tasks.release", {}),
    ]:
        err = await q.error(method, {**q.lease(first), **extra})
        assert err["code"] == 5002 and err["data"]["state"] == "running"
    view = await q.get(first["task_id"])
    assert view["state"] == "running" and view["worker_id"] == b
    assert [x["outcome"] for x in view["attempts"]] == ["expired", None]


async def test_complete_and_fail_repeated_with_the_same_lease_are_harmless(q: Queue) -> None:
    worker = await q.worker()
    await q.submit()
    claimed = await q.claim_one(worker)
    done = await q.complete(claimed, 1)
    assert await q.complete(claimed, 2) == done  # the first report counted; nothing changed
    # Another verdict with the ended lease is not a repeat: it is refused, not "accepted".
    lost = await q.error("tasks.fail", q.lease(claimed))
    assert lost["code"] == 5002
    assert (await q.get(claimed["task_id"]))["state"] == "succeeded"
    await q.submit()
    claimed = await q.claim_one(worker)
    failed = await q.fail(claimed)
    assert await q.fail(claimed) == failed
    assert failed["state"] == "scheduled"


async def test_heartbeats_renew_a_lease_but_never_past_the_timeout(q: Queue) -> None:
    task = await q.submit(timeout_s=50)
    worker = await q.worker()
    claimed = await q.claim_one(worker)
    start = q.clock.time()
    lease = q.lease(claimed)
    for expected in (start + 20 + 30, start + 50):
        q.clock.advance(20)
        renewal = await q.call("tasks.heartbeat", {**lease, "progress": 0.5})
        assert renewal["lease_expires_at"] == expected
    assert (await q.get(task))["progress"] == 0.5
    q.clock.advance(start + 50 - q.clock.time())
    view = await q.get(task)
    assert view["state"] == "scheduled" and view["attempts"][0]["outcome"] == "timed_out"
    assert (await q.error("tasks.heartbeat", lease))["code"] == 5002


async def test_a_worker_that_misses_three_heartbeats_goes_offline_and_loses_its_leases(
    q: Queue,
) -> None:
    task = await q.submit()
    worker = await q.worker()
    claimed = await q.claim_one(worker)
    running = [{"task_id": task, "lease_id": claimed["lease_id"]}]
    q.clock.advance(29)
    answer = await q.call("workers.heartbeat", q.as_worker(worker, running=running))
    assert answer == {"cancel": [], "drain": False, "leases": {task: q.clock.time() + 30}}
    q.clock.advance(29.9)  # under 3 heartbeat intervals (10 s each) of silence
    [listed] = await q.call("workers.list")
    assert (listed["health"], listed["running"]) == ("online", [task])
    q.clock.advance(0.1)
    [listed] = await q.call("workers.list")
    assert (listed["health"], listed["running"]) == ("offline", [])
    assert listed["last_seen"] == q.clock.time() - 30
    view = await q.get(task)
    assert view["state"] == "scheduled" and view["attempts"][0]["outcome"] == "revoked"
    # It calls in again: online, but its old lease is gone, so it is told to stop that task.
    answer = await q.call("workers.heartbeat", q.as_worker(worker, running=running))
    assert answer["cancel"] == [task]
    assert (await q.call("tasks.stats"))["workers_online"] == 1


async def test_cancel_a_waiting_task_now_and_a_running_one_at_its_next_heartbeat(
    q: Queue,
) -> None:
    waiting = await q.submit(delay_s=5)
    view = await q.call("tasks.cancel", {"task_id": waiting})
    assert (view["state"], view["emoji"], view["reason"]) == ("cancelled", "🚫", "cancelled")
    assert await q.call("tasks.cancel", {"task_id": waiting}) == view  # a no-op the second time
    q.clock.advance(5)
    worker = await q.worker()
    assert await q.claim(worker) == []

    running = await q.submit()
    claimed = await q.claim_one(worker)
    flagged = await q.call("tasks.cancel", {"task_id": running})
    assert (flagged["state"], flagged["cancel_requested"]) == ("running", True)
    beat = await q.call(
        "workers.heartbeat",
        q.as_worker(worker, running=[{"task_id": running, "lease_id": claimed["lease_id"]}]),
    )
    assert beat["cancel"] == [running]
    stopped = await q.fail(claimed, retryable=True)
    assert (stopped["state"], stopped["reason"]) == ("cancelled", "cancelled")

    finished = await q.submit()
    await q.complete(await q.claim_one(worker))
    err = await q.error("tasks.cancel", {"task_id": finished})
    assert err["code"] == 5006 and err["data"]["state"] == "succeeded"


async def test_release_gives_a_task_back_and_past_two_counts_as_an_attempt(q: Queue) -> None:
    """Two releases are free (a worker restarted mid-task); the ones after use up attempts,
    so a claim-and-release loop ends."""
    await q.submit(max_attempts=2)
    worker = await q.worker()
    for attempt in range(1, 5):
        claimed = await q.claim_one(worker)
        assert claimed["attempt"] == attempt  # ready at once: a release waits out no backoff
        view = await q.call("tasks.release", q.lease(claimed))
        assert view["attempts"][-1]["outcome"] == "released"
        if attempt < 4:
            assert view["state"] == "pending"
    assert (view["state"], view["reason"], view["attempt"]) == ("dead", "released", 4)
    assert await q.claim(worker) == []


async def test_deregister_releases_held_tasks(q: Queue) -> None:
    task = await q.submit()
    worker = await q.worker()
    await q.claim_one(worker)
    view = await q.call("workers.deregister", q.as_worker(worker))
    assert view["running"] == [task]
    assert await q.state(task) == "pending"
    assert (await q.error("tasks.claim", q.as_worker(worker)))["code"] == 5003
    assert (await q.error("workers.heartbeat", q.as_worker(worker)))["code"] == 5003


async def test_claims_respect_types_queues_and_capacity(q: Queue) -> None:
    compute = await q.submit("compute")
    transform = await q.submit("transform")
    urgent = await q.submit("compute", queue="urgent")
    only_transform = await q.worker(["transform"])
    assert [c["task_id"] for c in await q.claim(only_transform, 10)] == [transform]
    small = await q.worker(["compute"], capacity=1, queues=["default", "urgent"])
    assert [c["task_id"] for c in await q.claim(small, 10)] == [compute]
    assert await q.claim(small, 10) == []  # full
    other = await q.worker(["compute"], queues=["urgent"])
    assert [c["task_id"] for c in await q.claim(other, 10)] == [urgent]


async def test_unknown_dependencies_and_bad_params_are_refused(q: Queue) -> None:
    err = await q.error("tasks.submit", {"type": "compute", "depends_on": ["t_nope"]})
    assert err == {"code": 5004, "message": "Unknown dependency", "data": {"missing": ["t_nope"]}}
    for params in [
        {"type": "compute", "priority": "urgent"},
        {"type": "compute", "max_attempts": 0},
        {"type": "", "payload": 1},
        {"type": "compute", "delay_s": -1},
        {"type": "compute", "cache_ttl_s": "60"},
    ]:
        assert (await q.error("tasks.submit", params))["code"] == -32602
    assert (await q.error("tasks.claim", {"worker_id": "w_x", "wait_s": 31}))["code"] == -32602
    assert (await q.error("tasks.get", {"task_id": "t_nope"}))["code"] == 5001
    assert (await q.error("tasks.claim", {"worker_id": "w_nope"}))["code"] == 5003


async def test_payloads_and_results_have_a_size_limit(make_client: MakeClient) -> None:
    q = await make_queue(make_client, task_max_payload_bytes=100)
    err = await q.error("tasks.submit", {"type": "compute", "payload": "x" * 100})
    assert err["code"] == -32602 and err["data"][0]["path"] == "payload"
    await q.submit(payload="small")
    claimed = await q.claim_one(await q.worker())
    err = await q.error("tasks.complete", {**q.lease(claimed), "result": "y" * 100})
    assert err["code"] == -32602 and err["data"][0]["path"] == "result"
    assert await q.state(claimed["task_id"]) == "running"


async def test_the_queue_refuses_tasks_beyond_its_limit(make_client: MakeClient) -> None:
    q = await make_queue(make_client, task_max_tasks=2)
    await q.submit()
    await q.submit()
    err = await q.error("tasks.submit", {"type": "compute"})
    assert err == {"code": 5007, "message": "Task queue full", "data": {"limit": 2}}


async def test_list_filters_and_pages(q: Queue) -> None:
    ids = [await q.submit("compute" if i % 2 else "transform", payload=i) for i in range(7)]
    page = await q.call("tasks.list", {"type": "compute", "limit": 2})
    assert [t["task_id"] for t in page["tasks"]] == [ids[1], ids[3]]
    page = await q.call(
        "tasks.list", {"type": "compute", "limit": 2, "cursor": page["next_cursor"]}
    )
    assert [t["task_id"] for t in page["tasks"]] == [ids[5]]
    assert page["next_cursor"] is None
    await q.call("tasks.cancel", {"task_id": ids[0]})
    page = await q.call("tasks.list", {"state": "cancelled"})
    assert [t["task_id"] for t in page["tasks"]] == [ids[0]]


async def test_stats_count_by_state_type_and_priority(q: Queue) -> None:
    await q.submit("compute", priority="high")
    q.clock.advance(5)
    await q.submit("transform")
    await q.submit("compute", delay_s=100)
    worker = await q.worker(["transform"])
    await q.complete(await q.claim_one(worker))
    stats = await q.call("tasks.stats")
    assert stats["total"] == 3
    assert {k: v for k, v in stats["by_state"].items() if v} == {
        "pending": 1,
        "scheduled": 1,
        "succeeded": 1,
    }
    assert stats["by_type"] == {"compute": 2, "transform": 1}
    assert stats["by_priority"] == {"low": 0, "normal": 2, "high": 1, "critical": 0}
    assert stats["oldest_pending_age_s"] == 5
    assert stats["finished_last_minute"] == 1
    assert stats["workers_online"] == 1
    q.clock.advance(60)
    assert (await q.call("tasks.stats"))["finished_last_minute"] == 0


def test_the_declared_examples_fit_the_signatures() -> None:
    from pydantic import TypeAdapter

    from app.server import build_api

    registry, _ = build_api(Settings())
    for entry in registry:
        if entry.name.split(".")[0] not in ("tasks", "workers"):
            continue
        assert entry.declared.examples, entry.name
        for example in entry.declared.examples:
            entry.binder.bind(example.params)
            TypeAdapter(entry.result_type).validate_python(example.result)
