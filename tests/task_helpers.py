"""Helpers for the task-queue tests: an app on a ManualClock, and workers as factories."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.clock import ManualClock
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
