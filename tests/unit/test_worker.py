"""The worker in this process against a real app: what it does when calls go wrong."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from app.client import Client, TransportError
from app.rpc.errors import InvalidParams, Overloaded
from app.tasks.errors import LeaseLost, TaskNotFound, WorkerNotFound
from app.worker import Options, TaskContext, Worker
from app.worker.runner import _Running
from app.worker.task_types import BUILTIN
from tests.helpers.rpc import MakeClient
from tests.helpers.tasks import Queue, make_queue

Hook = Callable[[str, Any], Awaitable[Any]]


class ScriptedClient(Client):
    """The project's client, with failures (or a hook) scripted into chosen calls."""

    def __init__(self, url: str) -> None:
        super().__init__(url, errors=[LeaseLost, TaskNotFound, WorkerNotFound])
        self.faults: dict[str, list[Exception]] = {}
        self.after: dict[str, Hook] = {}
        self.sent: list[tuple[str, dict[str, Any]]] = []
        """Each call's method and named params, in order."""

    async def call(self, method: str, /, *args: Any, retry: bool | None = None, **kw: Any) -> Any:
        self.sent.append((method, kw))
        if self.faults.get(method):
            raise self.faults[method].pop(0)
        answer = await super().call(method, *args, retry=retry, **kw)
        hook = self.after.get(method)
        return answer if hook is None else await hook(method, answer)


@pytest.fixture
async def beating(make_client: MakeClient) -> Queue:
    # The worker's own loops run on real time; the server's clock only moves when told.
    return await make_queue(make_client, worker_heartbeat_s=0.01)


@pytest.fixture
async def rpc(beating: Queue) -> AsyncIterator[ScriptedClient]:
    async with ScriptedClient(str(beating.client.make_url("/rpc"))) as client:
        yield client


def worker(rpc: ScriptedClient) -> Worker:
    return Worker(rpc, BUILTIN, Options(types=("compute",), concurrency=2, grace_s=1))


async def test_a_heartbeat_answer_stops_only_the_attempt_it_was_about(
    beating: Queue, rpc: ScriptedClient
) -> None:
    task = await beating.submit()
    w = worker(rpc)
    assert await w._register()
    assert w.worker_token is not None
    beating.tokens[w.worker_id] = w.worker_token  # so the test can claim as this worker
    first = await beating.claim_one(w.worker_id)
    retry = await beating.fail(first)  # retried after a backoff...
    beating.clock.advance(retry["ready_at"] - beating.clock.time())
    again = await beating.claim_one(w.worker_id)  # ...by this same worker, under a new lease
    assert again["lease_id"] != first["lease_id"]
    jobs: list[asyncio.Task[Any]] = []

    def running(lease_id: str) -> _Running:
        jobs.append(asyncio.create_task(asyncio.Event().wait()))
        return _Running(task, lease_id, TaskContext(task, 1), jobs[-1])

    w.running[task] = running(first["lease_id"])

    async def new_attempt_started(method: str, answer: Any) -> Any:
        # The server answered about the first lease (it is over: stop it); meanwhile the
        # worker started the second attempt.
        assert answer["cancel"] == [task]
        w.running[task] = running(again["lease_id"])
        return answer

    rpc.after["workers.heartbeat"] = new_attempt_started
    await w._beat()
    current = w.running[task]
    assert current.lease_id == again["lease_id"]
    assert not current.job.done() and not current.stopped_by_server
    for job in jobs:
        job.cancel()
    await asyncio.gather(*jobs, return_exceptions=True)


WORKER_CALLS = {
    "tasks.claim",
    "tasks.complete",
    "tasks.fail",
    "tasks.release",
    "tasks.heartbeat",
    "workers.heartbeat",
    "workers.deregister",
}


async def test_every_worker_call_carries_the_token_and_no_log_line_shows_it(
    beating: Queue, rpc: ScriptedClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    task = await beating.submit(payload={"op": "add", "a": 2, "b": 3})
    w = worker(rpc)
    running = asyncio.create_task(w.run())
    view = await beating.get(task, wait_s=10)
    w.stop()
    await running
    assert (view["state"], view["result"]) == ("succeeded", 5)
    [(_, registration)] = [(m, kw) for m, kw in rpc.sent if m == "workers.register"]
    assert "worker_token" not in registration
    calls = [(m, kw) for m, kw in rpc.sent if m in WORKER_CALLS]
    assert {m for m, _ in calls} >= {"tasks.claim", "tasks.complete", "workers.deregister"}
    assert w.worker_token is not None
    assert all(kw["worker_token"] == w.worker_token for _, kw in calls)
    assert w.worker_token not in caplog.text


async def test_connection_errors_are_retried(beating: Queue, rpc: ScriptedClient) -> None:
    # Refused connections, and a proxy's error page while the server restarts: retried with
    # backoff, never a crash.
    bad_gateway = TransportError(502, b"<html>Bad Gateway</html>")
    rpc.faults["workers.register"] = [aiohttp.ClientConnectionError("refused"), bad_gateway]
    rpc.faults["tasks.claim"] = [aiohttp.ClientConnectionError("refused"), bad_gateway]
    rpc.faults["workers.heartbeat"] = [bad_gateway]
    task = await beating.submit(payload={"op": "add", "a": 2, "b": 3})
    w = worker(rpc)
    running = asyncio.create_task(w.run())
    view = await beating.get(task, wait_s=10)
    w.stop()
    await running
    assert (view["state"], view["result"]) == ("succeeded", 5)
    assert all(not faults for faults in rpc.faults.values())  # each one happened


async def test_a_result_the_server_has_no_room_for_yet_is_sent_again(
    beating: Queue, rpc: ScriptedClient
) -> None:
    # -32005 for a report: the server's byte budget is full and nothing changed; the lease
    # lives on heartbeats, so the worker tries again rather than failing the task.
    full = Overloaded(data={"resource": "task_bytes", "limit": 1, "size": 1})
    rpc.faults["tasks.complete"] = [full]
    task = await beating.submit(payload={"op": "add", "a": 2, "b": 3})
    w = worker(rpc)
    running = asyncio.create_task(w.run())
    view = await beating.get(task, wait_s=10)
    w.stop()
    await running
    assert (view["state"], view["result"]) == ("succeeded", 5)
    assert [m for m, _ in rpc.sent].count("tasks.complete") == 2
    assert "tasks.fail" not in [m for m, _ in rpc.sent]


async def test_a_loop_that_fails_stops_the_worker_cleanly_and_says_why(
    beating: Queue, rpc: ScriptedClient
) -> None:
    # Not a worker that looks online (it heartbeats) but never claims again.
    rpc.faults["tasks.claim"] = [RuntimeError("a bug")]
    w = worker(rpc)
    running = asyncio.create_task(w.run())
    await asyncio.wait([running], timeout=10)  # a guard against hanging, not a measure
    if not running.done():
        w.stop()
        await running
        pytest.fail("the worker must stop on its own when a loop fails")
    with pytest.raises(RuntimeError, match="a bug"):
        running.result()
    assert await beating.call("workers.list") == []  # it deregistered on its way out


async def test_a_registration_refused_for_good_is_not_retried(rpc: ScriptedClient) -> None:
    async def run(payload: Any, ctx: TaskContext) -> Any:
        return payload

    w = Worker(rpc, {"not a valid name": run}, Options())
    with pytest.raises(InvalidParams) as refused:
        await w.run()
    assert refused.value.data[0]["path"].startswith("types")
