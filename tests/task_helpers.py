"""Helpers for the task-queue tests: an app on a ManualClock, and workers as factories."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.clock import ManualClock
from app.keys import STORE
from app.tasks.store import TaskStore, _Claim
from tests.conftest import Client, MakeClient, error, result


@dataclass
class Queue:
    """A test app with a manual clock, and shortcuts for calling tasks.* and workers.*."""

    client: Client
    clock: ManualClock

    async def submit(self, type_: str = "compute", payload: Any = None, **options: Any) -> str:
        answer = await result(
            self.client, "tasks.submit", {"type": type_, "payload": payload, **options}
        )
        task_id: str = answer["task_id"]
        return task_id

    async def worker(
        self, types: list[str] | None = None, capacity: int = 10, **options: Any
    ) -> str:
        answer = await result(
            self.client,
            "workers.register",
            {"name": "test", "types": types or ["compute"], "capacity": capacity, **options},
        )
        worker_id: str = answer["worker_id"]
        return worker_id

    async def claim(self, worker_id: str, max_tasks: int = 1, wait_s: float = 0) -> list[Any]:
        claimed: list[Any] = await result(
            self.client,
            "tasks.claim",
            {"worker_id": worker_id, "max_tasks": max_tasks, "wait_s": wait_s},
        )
        return claimed

    async def claim_one(self, worker_id: str) -> dict[str, Any]:
        [claimed] = await self.claim(worker_id)
        return dict(claimed)

    async def complete(self, claimed: dict[str, Any], value: Any = "ok") -> dict[str, Any]:
        view: dict[str, Any] = await result(
            self.client,
            "tasks.complete",
            {"task_id": claimed["task_id"], "lease_id": claimed["lease_id"], "result": value},
        )
        return view

    async def fail(self, claimed: dict[str, Any], retryable: bool = True) -> dict[str, Any]:
        view: dict[str, Any] = await result(
            self.client,
            "tasks.fail",
            {
                "task_id": claimed["task_id"],
                "lease_id": claimed["lease_id"],
                "error": {"message": "boom"},
                "retryable": retryable,
            },
        )
        return view

    async def get(self, task_id: str, wait_s: float = 0) -> dict[str, Any]:
        view: dict[str, Any] = await result(
            self.client, "tasks.get", {"task_id": task_id, "wait_s": wait_s}
        )
        return view

    async def state(self, task_id: str) -> str:
        state: str = (await self.get(task_id))["state"]
        return state

    async def error(self, method: str, params: Any) -> dict[str, Any]:
        return await error(self.client, method, params)

    async def call(self, method: str, params: Any = None) -> Any:
        return await result(self.client, method, params)


async def make_queue(make_client: MakeClient, **settings: Any) -> Queue:
    clock = ManualClock()
    overrides = {"task_retry_base_s": 1.0, "task_retry_max_s": 60.0, **settings}
    return Queue(await make_client(clock=clock, **overrides), clock)


class _Claims(deque[_Claim]):
    def __init__(self, changed: asyncio.Event, claims: deque[_Claim]) -> None:
        super().__init__(claims)
        self._changed = changed

    def append(self, claim: _Claim) -> None:
        super().append(claim)
        self._changed.set()


class _Watchers(dict[str, list[asyncio.Future[None]]]):
    def __init__(self, changed: asyncio.Event) -> None:
        super().__init__()
        self._changed = changed

    def setdefault(
        self, task_id: str, default: list[asyncio.Future[None]] | None = None
    ) -> list[asyncio.Future[None]]:
        self._changed.set()  # the caller appends its future before anything else runs
        return super().setdefault(task_id, [] if default is None else default)


class Arrivals:
    """Tells a test when a long-poll starts waiting in the store: an event, not polling.

    The store has no such event of its own (nothing but a test needs one), so this wraps
    its queue of waiting claims and its ``get`` watchers to set one.
    """

    def __init__(self, store: TaskStore) -> None:
        self.store = store
        self.changed = asyncio.Event()
        store._claims = _Claims(self.changed, store._claims)
        store._watchers = _Watchers(self.changed)

    @classmethod
    def of(cls, q: Queue) -> Arrivals:
        return cls(q.client.app[STORE].tasks)

    @property
    def claims(self) -> int:
        return len(self.store._claims)

    def watched(self, task_id: str) -> bool:
        return task_id in self.store._watchers

    async def until(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(5):
            while not condition():
                self.changed.clear()
                await self.changed.wait()
