"""Real processes: a server and ``rpc-hub worker``s, one of them killed in the middle of work.

The workers run anonymously on a loopback (sending the worker token they were given), and,
in one test, with a ``tasks:work`` key on a server that gives anonymous callers nothing.
"""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.client import Client
from app.rpc.errors import Unauthorized
from app.tasks.errors import TaskNotFound
from tests.helpers.keys import new_key
from tests.helpers.server_process import ServerProcess, server_process
from tests.helpers.worker_process import worker_process
from tests.helpers.workload import (
    FAST,
    PLUGIN,
    assert_done_once,
    finished,
    mixed_task,
    submit_all,
)


@pytest.fixture
async def server() -> AsyncIterator[ServerProcess]:
    async with server_process(*FAST) as running:
        yield running


@pytest.fixture
async def server_client(server: ServerProcess) -> AsyncIterator[Client]:
    async with Client(f"{server.url}/rpc", errors=[TaskNotFound]) as rpc:
        yield rpc


async def test_500_tasks_survive_a_worker_killed_mid_task(
    server: ServerProcess, server_client: Client
) -> None:
    work = [mixed_task(i) for i in range(500)]
    async with (
        worker_process(server.url, "--concurrency", "6", "--name", "victim") as victim,
        worker_process(server.url, "--concurrency", "8", "--name", "a") as a,
        worker_process(server.url, "--concurrency", "8", "--name", "b") as b,
    ):
        ids = await submit_all(server_client, [task for task, _ in work])
        await victim.wait_started(40)
        victim.process.send_signal(signal.SIGKILL)
        views = await finished(server_client, ids)
        final = {
            (v["task_id"], v["attempts"][-1]["lease_id"], v["attempts"][-1]["worker_id"])
            for v in views
        }
        by_worker = {
            worker: {(task, lease) for task, lease, wid in final if wid in worker.worker_ids}
            for worker in (victim, a, b)
        }
        for survivor in (a, b):  # its log may trail the server by a line or two
            await survivor.wait_completed(by_worker[survivor])
    assert await victim.process.wait() == -signal.SIGKILL

    # Done once, by its final lease.
    lost = assert_done_once(views, [expected for _, expected in work])
    assert lost >= 1, "the victim must have been killed while it held a task"
    # The workers agree: each completion they saw accepted is the task's only one, made with
    # the final lease. (The victim may die between the server's answer and its log line.)
    completions = Counter(pair for worker in (victim, a, b) for pair in worker.completed)
    assert set(completions.values()) == {1}
    for worker in (a, b):
        assert set(worker.completed) == by_worker[worker]
    assert set(victim.completed) <= by_worker[victim]
    stats = await server_client.call("tasks.stats")
    assert stats["by_state"]["succeeded"] == 500


async def test_sigterm_releases_unfinished_work_and_deregisters(
    server: ServerProcess, server_client: Client
) -> None:
    long = (await server_client.call("tasks.submit", type="sleep", payload={"seconds": 600}))[
        "task_id"
    ]
    short = (await server_client.call("tasks.submit", type="sleep", payload={"seconds": 0.2}))[
        "task_id"
    ]
    async with worker_process(server.url, "--concurrency", "2", "--grace-s", "2") as worker:
        await worker.wait_started(2)
        worker.process.send_signal(signal.SIGTERM)
        assert await worker.process.wait() == 0
    view = await server_client.call("tasks.get", task_id=short)
    assert view["state"] == "succeeded"  # finished within the grace period
    view = await server_client.call("tasks.get", task_id=long)
    assert view["state"] == "pending"  # given back for another worker: 1 of its 3 attempts
    assert [attempt["outcome"] for attempt in view["attempts"]] == ["released"]
    assert await server_client.call("workers.list") == []


async def test_plugins_retries_and_dependencies_through_a_real_worker(
    server: ServerProcess, server_client: Client
) -> None:
    flaky = (
        await server_client.call(
            "tasks.submit", type="flaky", payload={"succeed_on": 2}, max_attempts=2
        )
    )["task_id"]
    first = await server_client.call(
        "tasks.submit", type="compute", payload={"op": "add", "a": 1, "b": 2}
    )
    child = (
        await server_client.call(
            "tasks.submit", type="total_of_deps", payload=10, depends_on=[first["task_id"], flaky]
        )
    )["task_id"]
    async with worker_process(server.url, *PLUGIN):
        views = await finished(server_client, [flaky, child])
    assert [a["outcome"] for a in views[0]["attempts"]] == ["failed", "succeeded"]
    assert views[0]["result"] == 2
    assert views[1]["result"] == 10 + 3 + 2


async def test_a_server_cancel_stops_the_task_on_the_worker(
    server: ServerProcess, server_client: Client
) -> None:
    task = (await server_client.call("tasks.submit", type="sleep", payload={"seconds": 600}))[
        "task_id"
    ]
    async with worker_process(server.url) as worker:
        await worker.wait_started(1)
        await server_client.call("tasks.cancel", task_id=task)
        [view] = await finished(server_client, [task])
        await worker.wait_for(f"stopping task {task}")
    assert (view["state"], view["reason"]) == ("cancelled", "cancelled")
    assert view["attempts"][0]["outcome"] == "failed"


async def test_a_stopping_server_ends_long_polls_and_pauses_its_workers() -> None:
    async with (
        server_process(*FAST, "--drain-delay-s", "1") as server,
        worker_process(server.url) as worker,
    ):
        server.process.send_signal(signal.SIGTERM)
        # The worker's waiting claim returns at once, and it learns why from a heartbeat.
        await worker.wait_for("the server is draining: claiming paused")
        assert await server.stopped() == 0
        worker.process.send_signal(signal.SIGTERM)
        assert await worker.process.wait() == 0


async def test_a_worker_runs_with_a_tasks_work_key_where_anonymous_may_do_nothing(
    tmp_path: Path,
) -> None:
    keys = tmp_path / "keys"
    worker_key = new_key(keys, "worker", "tasks:work")
    client_key = new_key(keys, "client", "tasks:submit")
    env = {"RPC_KEYS_FILE": str(keys), "RPC_ANONYMOUS_SCOPES": ""}
    async with server_process(*FAST, env=env) as server:
        async with Client(f"{server.url}/rpc") as anonymous:
            with pytest.raises(Unauthorized):
                await anonymous.call("tasks.submit", type="compute")
        async with Client(f"{server.url}/rpc", token=client_key, errors=[TaskNotFound]) as client:
            work = [mixed_task(i) for i in range(10)]
            ids = await submit_all(client, [task for task, _ in work])
            async with worker_process(server.url, "--key", worker_key) as worker:
                views = await finished(client, ids)
            assert [view["result"] for view in views] == [expected for _, expected in work]
            assert (await client.call("tasks.stats"))["by_state"]["succeeded"] == 10
    assert not any(worker_key in line for line in worker.log)  # the key is never logged
