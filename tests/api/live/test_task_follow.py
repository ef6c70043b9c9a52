"""``tasks.subscribe(task_id)``: the task as it is now, then each change, and its end told
once, even an end that no call made (a lease running out, a pending TTL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.server.builtin import BUILTIN
from tests.helpers import redis_server
from tests.helpers.keys import bearer, new_key
from tests.helpers.rpc import MakeClient
from tests.helpers.tasks import Arrivals, make_queue
from tests.helpers.ws import Socket, connect

BACKENDS = [
    pytest.param({}, id="memory"),
    pytest.param("redis", id="redis", marks=redis_server.needs_redis),
]


def backend(which: dict[str, str] | str) -> dict[str, Any]:
    """The app's store: memory, or the session's Redis under a fresh prefix (the built-in
    plugins only: the tests' recording card processor has no Redis backend)."""
    if which == "redis":
        url, prefix = redis_server.shared().url, redis_server.fresh_prefix()
        return {"store": url, "redis_prefix": prefix, "plugins": [BUILTIN]}
    assert isinstance(which, dict)
    return which


async def told_until_quiet(
    socket: Socket, subscription: str, *, ended: bool = True
) -> list[dict[str, Any]]:
    """Every notification already queued for ``subscription``: an unsubscribe's answer comes
    after them all, so what came before it is everything. A subscription whose task has
    ended has ended with it: there is nothing left to unsubscribe."""
    assert await socket.result("tasks.unsubscribe", [subscription]) is not ended
    told = []
    while not socket.notifications.empty():
        params = socket.notifications.get_nowait()
        assert params["subscription"] == subscription
        told.append(params["result"])
    return told


@pytest.mark.parametrize("store", BACKENDS)
async def test_first_the_task_as_it_is_then_each_change_and_the_end_once(
    make_client: MakeClient, store: dict[str, str] | str
) -> None:
    q = await make_queue(make_client, **backend(store))
    arrivals = Arrivals.of(q)
    worker = await q.worker()
    task_id = await q.submit(payload=1)
    other = await q.submit(payload=2)
    socket = await connect(q.client)
    subscribed = await socket.result("tasks.subscribe", {"task_id": task_id})
    first = await socket.notification()
    assert first["subscription"] == subscribed["subscription"]
    assert first["result"]["task_id"] == task_id and first["result"]["state"] == "pending"
    await arrivals.until(lambda: arrivals.watched(task_id))  # its end is watched for too
    claimed = await q.claim(worker, max_tasks=2)
    for task in claimed:
        await q.complete(task, task["task_id"])
    # Both the event and the store's wait see the end: it is told once all the same.
    await arrivals.until(lambda: not arrivals.watched(task_id))
    told = await told_until_quiet(socket, subscribed["subscription"])
    assert {change["task_id"] for change in told} == {task_id}  # nothing of `other`
    assert [change["state"] for change in told] == ["running", "succeeded"]
    assert told[-1]["result"] == task_id
    assert other != task_id
    await socket.close()


async def test_a_finished_task_is_told_as_it_is_and_nothing_more(make_client: MakeClient) -> None:
    q = await make_queue(make_client)
    worker = await q.worker()
    task_id = await q.submit()
    await q.complete(await q.claim_one(worker), "done")
    socket = await connect(q.client)
    subscribed = await socket.result("tasks.subscribe", {"task_id": task_id})
    first = await socket.notification()
    assert (first["result"]["state"], first["result"]["result"]) == ("succeeded", "done")
    await q.submit()  # another task's change: not this subscription's
    assert await told_until_quiet(socket, subscribed["subscription"]) == []
    await socket.close()


async def test_an_end_no_call_made_is_told_a_lease_run_out(make_client: MakeClient) -> None:
    q = await make_queue(make_client, worker_heartbeat_s=60)  # the worker stays registered
    arrivals = Arrivals.of(q)
    task_id = await q.submit(max_attempts=1)
    socket = await connect(q.client)
    subscribed = await socket.result("tasks.subscribe", {"task_id": task_id})
    assert (await socket.notification())["result"]["state"] == "pending"
    await q.claim_one(await q.worker())
    assert (await socket.notification())["result"]["state"] == "running"
    await arrivals.until(lambda: arrivals.watched(task_id))
    q.clock.advance(31)  # past the 30 s lease, with no heartbeat
    await q.call("tasks.stats")  # any call lets the store see the time: not one about it
    end = (await socket.notification())["result"]
    assert (end["task_id"], end["state"], end["reason"]) == (task_id, "dead", "expired")
    await arrivals.until(lambda: not arrivals.watched(task_id))
    assert await told_until_quiet(socket, subscribed["subscription"]) == []
    await socket.close()


async def test_an_end_no_call_made_is_told_a_pending_ttl(make_client: MakeClient) -> None:
    q = await make_queue(make_client, task_pending_ttl_s=60)
    arrivals = Arrivals.of(q)
    task_id = await q.submit()
    socket = await connect(q.client)
    subscribed = await socket.result("tasks.subscribe", {"task_id": task_id})
    assert (await socket.notification())["result"]["state"] == "pending"
    await arrivals.until(lambda: arrivals.watched(task_id))
    q.clock.advance(60)
    await q.call("tasks.stats")
    end = (await socket.notification())["result"]
    assert (end["task_id"], end["state"], end["reason"]) == (task_id, "dead", "pending_ttl")
    await arrivals.until(lambda: not arrivals.watched(task_id))
    assert await told_until_quiet(socket, subscribed["subscription"]) == []
    await socket.close()


async def test_another_owners_task_is_not_found_and_holds_no_subscription(
    make_client: MakeClient, tmp_path: Path
) -> None:
    keys = tmp_path / "keys.jsonl"
    alice, bob = (new_key(keys, name, "tasks:submit") for name in ("alice", "bob"))
    q = await make_queue(make_client, keys_file=str(keys), max_subscriptions=1)
    task_id = await q.with_headers(bearer(alice)).submit()
    socket = await connect(q.client, headers=bearer(bob))
    for unknown in (task_id, "f" * 32):
        error = await socket.error("tasks.subscribe", {"task_id": unknown})
        assert error == {"code": 5001, "message": "Task not found", "data": {"task_id": unknown}}
    assert "subscription" in await socket.result("tasks.subscribe")  # its one place is free
    await socket.close()
    owner = await connect(q.client, headers=bearer(alice))
    assert "subscription" in await owner.result("tasks.subscribe", {"task_id": task_id})
    assert (await owner.notification())["result"]["task_id"] == task_id
    await owner.close()
