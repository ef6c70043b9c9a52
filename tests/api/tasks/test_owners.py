"""Owners, worker tokens and fenced leases through /rpc, with real keys and anonymous calls.

ALICE submits, MALLORY (a key with both task scopes) and anonymous callers attack, and the
victim is a worker registered anonymously with its token, as ``rpc-hub worker`` runs on a
loopback. The probe's takeover sequence is refused at every step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers.keys import bearer, new_key
from tests.helpers.rpc import MakeClient
from tests.helpers.tasks import Queue, make_queue

ADMIN_TOKEN = "owners-admin-token"


KEYS = {
    "alice": ("tasks:submit",),
    "mallory": ("tasks:submit", "tasks:work"),
    "worker": ("tasks:work",),
}
"""The keys the app starts with (it reads its keys file once, at start-up)."""


class Cast:
    """One app, called as several principals: a Queue per key, anonymous and admin."""

    def __init__(self, anonymous: Queue, keys: dict[str, str]) -> None:
        self.anonymous = anonymous
        self.alice = anonymous.with_headers(bearer(keys["alice"]))
        self.mallory = anonymous.with_headers(bearer(keys["mallory"]))
        self.worker = anonymous.with_headers(bearer(keys["worker"]))
        """A key with only the tasks:work scope."""
        self.admin = anonymous.with_headers(bearer(ADMIN_TOKEN))


@pytest.fixture
async def cast(make_client: MakeClient, tmp_path: Path) -> Cast:
    path = tmp_path / "keys"
    keys = {name: new_key(path, name, *scopes) for name, scopes in KEYS.items()}
    q = await make_queue(make_client, keys_file=str(path), admin_token=ADMIN_TOKEN)
    return Cast(q, keys)


async def test_the_takeover_sequence_is_refused_at_every_step(cast: Cast) -> None:
    alice, mallory, anonymous = cast.alice, cast.mallory, cast.anonymous
    task = await alice.submit(payload={"api_key": "s3cr3t"})
    victim = await anonymous.worker()
    claimed = await anonymous.claim_one(victim)
    forged = {"task_id": task, "lease_id": "l_" + "A" * 24, "result": "forged"}
    for attacker in (mallory, anonymous):
        listed = await attacker.call("workers.list")
        # Mallory sees no workers; anonymous sees the (anonymous) victim's id, but not the
        # task it runs, and the id alone no longer works.
        assert [w["running"] for w in listed] == ([] if attacker is mallory else [[]])
        assert (await attacker.call("tasks.list"))["tasks"] == []  # no payloads to read
        steps: list[tuple[str, dict[str, Any], int]] = [
            ("workers.deregister", {"worker_id": victim}, 5003),
            ("tasks.claim", {"worker_id": victim}, 5003),
            ("tasks.complete", forged, 5002),
            ("tasks.complete", {**forged, "lease_id": claimed["lease_id"]}, 5003),
            ("workers.heartbeat", {"worker_id": victim}, 5003),
            ("tasks.cancel", {"task_id": task}, 5001),
            ("tasks.get", {"task_id": task}, 5001),
        ]
        for method, params, code in steps:
            err = await attacker.error(method, params)
            assert err["code"] == code, (method, err)
            assert "s3cr3t" not in str(err)
    # The victim never noticed: its lease lives, and its own report counts.
    assert await anonymous.complete(claimed, 42)
    view = await alice.get(task)
    assert (view["state"], view["result"], view["attempts"][0]["worker_id"]) == (
        "succeeded",
        42,
        victim,
    )


async def test_a_stale_lease_completing_after_a_release_gets_5002(cast: Cast) -> None:
    q = cast.anonymous
    task = await cast.alice.submit()
    worker = await q.worker()
    claimed = await q.claim_one(worker)
    released = await q.call("tasks.release", q.lease(claimed))
    assert released["state"] == "pending"
    assert await q.call("tasks.release", q.lease(claimed)) == released  # a harmless repeat
    for method in ("tasks.complete", "tasks.fail", "tasks.heartbeat"):
        err = await q.error(method, q.lease(claimed))
        assert err == {
            "code": 5002,
            "message": "Lease lost",
            "data": {"task_id": task, "state": "pending"},
        }
    again = await q.claim_one(worker)
    assert (await q.complete(again, 7))["result"] == 7


async def test_a_lease_ended_by_deregistration_gets_5002_even_with_the_token(
    cast: Cast,
) -> None:
    # With a leaked token: deregister the victim, finish its task with another worker, and
    # the victim's late complete must get 5002, not success.
    q = cast.anonymous
    task = await cast.alice.submit()
    victim = await q.worker()
    old = await q.claim_one(victim)
    await cast.mallory.call("workers.deregister", q.as_worker(victim))
    other = await cast.mallory.worker()
    await cast.mallory.complete(await cast.mallory.claim_one(other), "theirs")
    err = await q.error("tasks.complete", {**q.lease(old), "result": 42})
    assert err["code"] == 5002 and err["data"] == {"task_id": task, "state": "succeeded"}
    view = await cast.alice.get(task)
    assert view["result"] == "theirs"
    assert [a["outcome"] for a in view["attempts"]] == ["released", "succeeded"]


async def test_a_principal_sees_and_steers_only_its_own_tasks(cast: Cast) -> None:
    alice, mallory = cast.alice, cast.mallory
    mine = await alice.submit(payload="alice's")
    theirs = await mallory.submit(payload="mallory's")
    assert [t["task_id"] for t in (await alice.call("tasks.list"))["tasks"]] == [mine]
    assert [t["task_id"] for t in (await mallory.call("tasks.list"))["tasks"]] == [theirs]
    assert (await alice.call("tasks.stats"))["total"] == 1
    err = await mallory.error("tasks.get", {"task_id": mine})
    assert err == {"code": 5001, "message": "Task not found", "data": {"task_id": mine}}
    assert (await mallory.error("tasks.cancel", {"task_id": mine}))["code"] == 5001
    err = await mallory.error("tasks.submit", {"type": "compute", "depends_on": [mine]})
    assert (err["code"], err["data"]) == (5004, {"missing": [mine]})
    assert (await alice.call("tasks.cancel", {"task_id": mine}))["state"] == "cancelled"
    everyone = await cast.admin.call("tasks.list")
    assert [t["task_id"] for t in everyone["tasks"]] == [mine, theirs]
    assert (await cast.admin.call("tasks.stats"))["total"] == 2


async def test_a_worker_key_needs_no_token_and_its_workers_are_its_own(cast: Cast) -> None:
    worker_key = cast.worker
    task = await cast.alice.submit(payload={"n": 1})
    registration = await worker_key.call("workers.register", {"name": "w", "types": ["compute"]})
    worker = registration["worker_id"]
    assert len(registration["worker_token"]) >= 43
    # The key that registered the worker may leave the token out.
    [claimed] = await worker_key.call("tasks.claim", {"worker_id": worker})
    assert claimed["payload"] == {"n": 1}
    [listed] = await worker_key.call("workers.list")
    assert (listed["worker_id"], listed["running"]) == (worker, [task])
    assert registration["worker_token"] not in str(listed)
    assert await cast.mallory.call("workers.list") == []
    assert (await cast.mallory.error("tasks.claim", {"worker_id": worker}))["code"] == 5003
    lease = {"task_id": task, "lease_id": claimed["lease_id"]}
    done = await worker_key.call("tasks.complete", {**lease, "result": 2})
    assert done["result"] == 2
    [seen] = await cast.admin.call("workers.list")
    assert seen["worker_id"] == worker


async def test_the_task_scopes_are_checked_per_method(cast: Cast) -> None:
    submit_only, work_only = cast.alice, cast.worker
    for queue, method, params, scope in [
        (submit_only, "workers.register", {"name": "w", "types": ["compute"]}, "tasks:work"),
        (submit_only, "tasks.claim", {"worker_id": "w_x"}, "tasks:work"),
        (submit_only, "workers.list", None, "tasks:work"),
        (work_only, "tasks.submit", {"type": "compute"}, "tasks:submit"),
        (work_only, "tasks.list", None, "tasks:submit"),
        (work_only, "tasks.cancel", {"task_id": "t_x"}, "tasks:submit"),
    ]:
        err = await queue.error(method, params)
        assert (err["code"], err["data"]["required_scope"]) == (-32002, scope), method


async def test_worker_token_comes_last_so_positional_calls_still_work(cast: Cast) -> None:
    q = cast.anonymous
    task = await cast.alice.submit()
    worker = await q.worker()
    token = q.token(worker)
    [claimed] = await q.call("tasks.claim", [worker, 1, 0, token])
    lease = claimed["lease_id"]
    renewal = await q.call("tasks.heartbeat", [task, lease, 0.5, token])
    assert renewal["task_id"] == task
    assert (await q.call("workers.heartbeat", [worker, [], token]))["cancel"] == []
    assert (await q.call("tasks.complete", [task, lease, 5, token]))["result"] == 5
    assert (await q.call("workers.deregister", [worker, token]))["worker_id"] == worker


async def test_a_bad_worker_token_is_never_echoed(cast: Cast) -> None:
    q = cast.anonymous
    worker = await q.worker()
    secretish = "s" * 200  # over the length limit: refused by validation, value not shown
    err = await q.error("tasks.claim", {"worker_id": worker, "worker_token": secretish})
    assert err["code"] == -32602 and err["data"][0]["path"] == "worker_token"
    assert secretish not in str(err)
