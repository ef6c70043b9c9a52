"""Helpers for the task-queue tests: an app on a ManualClock, and workers as factories.

Calls are anonymous unless a test passes ``headers`` (a key's ``Authorization``), so worker
calls carry the worker's ``worker_token``: ``Queue`` remembers each worker's token and which
worker holds each lease it claimed, and sends the right token with each call.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.clock import ManualClock
from app.rpc.access import Principal
from app.server.keys import STORES
from app.stores import Backend
from app.tasks.models import ClaimedTask, TaskView
from app.tasks.store import TaskStore
from tests.helpers.rpc import Client, MakeClient, post

TASK_SETTINGS: dict[str, Any] = {"task_retry_base_s": 1.0, "task_retry_max_s": 60.0}
"""What the task contract suites open their stores with."""


class TaskBackend(TaskStore, Backend, Protocol):
    """A TaskStore with its lifecycle (drain, for one)."""


@dataclass
class Queue:
    """A test app with a manual clock, and shortcuts for calling tasks.* and workers.*."""

    client: Client
    clock: ManualClock
    headers: dict[str, str] = field(default_factory=dict)
    """Sent with every request: empty for anonymous calls, else a key's Authorization."""
    tokens: dict[str, str] = field(default_factory=dict)
    """Each registered worker's ``worker_token``, by worker id."""
    holders: dict[str, str] = field(default_factory=dict)
    """Which worker claimed each lease, by lease id."""

    def with_headers(self, headers: dict[str, str]) -> Queue:
        """The same app, called with other ``headers`` (another principal); tokens are shared."""
        return Queue(self.client, self.clock, headers, self.tokens, self.holders)

    def token(self, worker_id: str) -> str:
        return self.tokens[worker_id]

    def lease(self, claimed: dict[str, Any]) -> dict[str, Any]:
        """A claimed task's ``task_id``, ``lease_id`` and its worker's ``worker_token``."""
        return {
            "task_id": claimed["task_id"],
            "lease_id": claimed["lease_id"],
            "worker_token": self.tokens[self.holders[claimed["lease_id"]]],
        }

    async def submit(self, type_: str = "compute", payload: Any = None, **options: Any) -> str:
        answer = await self.call("tasks.submit", {"type": type_, "payload": payload, **options})
        task_id: str = answer["task_id"]
        return task_id

    async def worker(
        self, types: list[str] | None = None, capacity: int = 10, **options: Any
    ) -> str:
        answer = await self.call(
            "workers.register",
            {"name": "test", "types": types or ["compute"], "capacity": capacity, **options},
        )
        worker_id: str = answer["worker_id"]
        self.tokens[worker_id] = answer["worker_token"]
        return worker_id

    def as_worker(self, worker_id: str, **params: Any) -> dict[str, Any]:
        """Params for a call about ``worker_id``, with its token."""
        return {"worker_id": worker_id, **params, "worker_token": self.tokens[worker_id]}

    async def claim(self, worker_id: str, max_tasks: int = 1, wait_s: float = 0) -> list[Any]:
        claimed: list[Any] = await self.call(
            "tasks.claim", self.as_worker(worker_id, max_tasks=max_tasks, wait_s=wait_s)
        )
        for task in claimed:
            self.holders[task["lease_id"]] = worker_id
        return claimed

    async def claim_one(self, worker_id: str) -> dict[str, Any]:
        [claimed] = await self.claim(worker_id)
        return dict(claimed)

    async def complete(self, claimed: dict[str, Any], value: Any = "ok") -> dict[str, Any]:
        view: dict[str, Any] = await self.call(
            "tasks.complete", {**self.lease(claimed), "result": value}
        )
        return view

    async def fail(self, claimed: dict[str, Any], retryable: bool = True) -> dict[str, Any]:
        view: dict[str, Any] = await self.call(
            "tasks.fail",
            {**self.lease(claimed), "error": {"message": "boom"}, "retryable": retryable},
        )
        return view

    async def get(self, task_id: str, wait_s: float = 0) -> dict[str, Any]:
        view: dict[str, Any] = await self.call("tasks.get", {"task_id": task_id, "wait_s": wait_s})
        return view

    async def state(self, task_id: str) -> str:
        state: str = (await self.get(task_id))["state"]
        return state

    async def respond(self, method: str, params: Any = None) -> dict[str, Any]:
        """One request with this queue's headers; its response object."""
        request: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": 1}
        if params is not None:
            request["params"] = params
        status, body = await post(self.client, request, **self.headers)
        assert status == 200, body
        response: dict[str, Any] = body
        return response

    async def error(self, method: str, params: Any = None) -> dict[str, Any]:
        """Call and return the error object, failing the test on success."""
        response = await self.respond(method, params)
        assert "error" in response, response
        assert set(response) == {"jsonrpc", "error", "id"}
        error_object: dict[str, Any] = response["error"]
        return error_object

    async def call(self, method: str, params: Any = None) -> Any:
        """Call and return the result, failing the test on a JSON-RPC error."""
        response = await self.respond(method, params)
        assert "error" not in response, response
        return response["result"]


async def make_queue(make_client: MakeClient, **settings: Any) -> Queue:
    clock = ManualClock()
    overrides = {"task_retry_base_s": 1.0, "task_retry_max_s": 60.0, **settings}
    return Queue(await make_client(clock=clock, **overrides), clock)


def task_store(client: Client) -> TaskStore:
    """The TaskStore backend a test app serves."""
    store = client.app[STORES].by_protocol[TaskStore]
    assert isinstance(store, TaskStore)
    return store


class Arrivals:
    """Tells a test when a long-poll starts waiting in the store: an event, not polling.

    The store has no such event of its own (nothing but a test needs one), so this wraps
    its Protocol's long-polls, ``claim`` and ``get``, to count the calls with a wait that
    have not returned. The in-memory store registers a waiting call before it first yields,
    so once a call is counted and the test runs again, the call is waiting in the store.
    """

    def __init__(self, store: TaskStore) -> None:
        self.store = store
        self.changed = asyncio.Event()
        self._waiting = 0
        self._watched: Counter[str] = Counter()
        claim, get = store.claim, store.get

        async def counted_claim(
            caller: Principal,
            worker_id: str,
            max_tasks: int,
            wait_s: float,
            *,
            token: str | None = None,
        ) -> list[ClaimedTask]:
            if wait_s <= 0:
                return await claim(caller, worker_id, max_tasks, wait_s, token=token)
            self._waiting += 1
            self.changed.set()
            try:
                return await claim(caller, worker_id, max_tasks, wait_s, token=token)
            finally:
                self._waiting -= 1
                self.changed.set()

        async def counted_get(caller: Principal, task_id: str, wait_s: float = 0) -> TaskView:
            if wait_s <= 0:
                return await get(caller, task_id, wait_s)
            self._watched[task_id] += 1
            self.changed.set()
            try:
                return await get(caller, task_id, wait_s)
            finally:
                self._watched[task_id] -= 1
                self.changed.set()

        # Instance attributes shadow the methods: callers (handlers too) get the counted ones.
        setattr(store, "claim", counted_claim)  # noqa: B010
        setattr(store, "get", counted_get)  # noqa: B010

    @classmethod
    def of(cls, q: Queue) -> Arrivals:
        return cls(task_store(q.client))

    @property
    def claims(self) -> int:
        """Claims waiting for work now."""
        return self._waiting

    def watched(self, task_id: str) -> bool:
        """Whether a ``get`` waits for this task to finish."""
        return self._watched[task_id] > 0

    async def until(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(5):
            while not condition():
                self.changed.clear()
                await self.changed.wait()
