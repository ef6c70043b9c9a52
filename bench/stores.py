"""The Redis backend's cost per operation beside the memory backend's (``make bench``).

Each operation runs through its store Protocol in this process, one at a time (latency) and
32 at a time (throughput), against a real redis-server started for the bench on the other
core. Round trips per operation are the commands the store sent (each script call is one,
whatever it runs inside Redis), counted at the client, divided by the operations.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from app.cart.memory import MemoryCartStore
from app.cart.models import Card, RawPayment
from app.cart.redis import RedisCartStore
from app.cart.store import CartStore
from app.clock import SystemClock
from app.rpc.access import Principal
from app.settings import Settings
from app.stores import Backend, StoreContext
from app.tasks.memory import MemoryTaskStore
from app.tasks.redis import RedisTaskStore
from app.tasks.store import TaskStore
from bench import servers

CALLER = Principal(id="key:bench", name="bench", scopes=frozenset({"admin"}))
CARD: Card = RawPayment(
    {"card_number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
).card()
CONCURRENCY = 32


@dataclass(frozen=True)
class StoreCost:
    operation: str
    backend: str
    latency_us: float
    """One operation at a time: the median."""
    per_s: float
    """32 at a time."""
    round_trips: float | None
    """Redis commands per operation (None for memory)."""


Step = Callable[[int], Awaitable[object]]
"""The i-th operation of a run; ``prepare(n)`` made what it needs."""


@dataclass(frozen=True)
class Operation:
    name: str
    store: str
    prepare: Callable[[Any, int], Awaitable[Step]]


async def _add_item(carts: CartStore, n: int) -> Step:
    ids = [(await carts.create_cart(CALLER)).cart_id for _ in range(n)]
    product = (await carts.list_products(None, 1, None)).products[0].product_id

    async def step(i: int) -> object:
        return await carts.add_item(CALLER, ids[i], product, 1)

    return step


async def _checkout(carts: CartStore, n: int) -> Step:
    product = (await carts.list_products(None, 1, None)).products[0].product_id
    await carts.restock(product, n)
    ids = []
    for _ in range(n):
        cart = await carts.create_cart(CALLER)
        await carts.add_item(CALLER, cart.cart_id, product, 1)
        ids.append(cart.cart_id)

    async def step(i: int) -> object:
        return await carts.checkout(CALLER, ids[i], CARD, uuid.uuid4().hex)

    return step


async def _submit(tasks: TaskStore, n: int) -> Step:
    async def step(i: int) -> object:
        return await tasks.submit(CALLER, "compute", {"op": "add", "a": i, "b": 1})

    return step


async def _round_trip(tasks: TaskStore, n: int) -> Step:
    """Submit, claim and complete one task: what one task costs the server end to end."""
    worker = await tasks.register(CALLER, "bench", ["compute"], ["default"], 1000)

    async def step(i: int) -> object:
        await tasks.submit(CALLER, "compute", {"op": "add", "a": i, "b": 1})
        claimed = await tasks.claim(CALLER, worker.worker_id, 1, 0)
        for task in claimed:
            await tasks.complete(CALLER, task.task_id, task.lease_id, i + 1)
        return claimed

    return step


OPERATIONS = [
    Operation("cart.add_item", "cart", _add_item),
    Operation("cart.checkout", "cart", _checkout),
    Operation("tasks.submit", "tasks", _submit),
    Operation("task round trip (submit, claim, complete)", "tasks", _round_trip),
]
BACKENDS: dict[str, dict[str, Callable[[StoreContext], Backend]]] = {
    "memory": {"cart": MemoryCartStore, "tasks": MemoryTaskStore},
    "redis": {"cart": RedisCartStore, "tasks": RedisTaskStore},
}


def measure(n: int = 2000, cpu: int | None = None) -> list[StoreCost]:
    """Every operation on each backend; Redis runs on ``cpu`` (the load's core)."""
    if shutil.which("redis-server") is None:
        print("redis-server is not installed: skipping the store comparison")
        return []
    with servers.redis(cpu) as redis:
        return asyncio.run(_measure_all(redis.url, n))


async def _measure_all(url: str, n: int) -> list[StoreCost]:
    costs: list[StoreCost] = []
    for operation in OPERATIONS:
        for backend, factories in BACKENDS.items():
            settings = _settings(url if backend == "redis" else "memory")
            costs.append(await _measure(operation, backend, factories, settings, n))
    return costs


def _settings(store: str) -> Settings:
    return dataclasses.replace(
        Settings(),
        store=store,
        redis_prefix=f"bench-{uuid.uuid4().hex[:8]}",
        cart_max_carts=1_000_000,
        cart_max_carts_per_owner=1_000_000,
        task_max_tasks=1_000_000,
        task_max_tasks_per_owner=1_000_000,
    )


async def _measure(
    operation: Operation,
    backend: str,
    factories: dict[str, Callable[[StoreContext], Backend]],
    settings: Settings,
    n: int,
) -> StoreCost:
    context = StoreContext.from_settings(settings, SystemClock())
    if context.redis is not None:
        await context.redis.open()
    store = factories[operation.store](context)
    await store.open()
    try:
        step = await operation.prepare(store, 2 * n)
        sent = _count_commands(context)
        latencies = []
        for i in range(n):
            started = time.perf_counter()
            await step(i)
            latencies.append(time.perf_counter() - started)
        round_trips = None if sent is None else sent[0] / n
        started = time.perf_counter()
        limit = asyncio.Semaphore(CONCURRENCY)

        async def limited(i: int) -> None:
            async with limit:
                await step(i)

        await asyncio.gather(*(limited(i) for i in range(n, 2 * n)))
        per_s = n / (time.perf_counter() - started)
    finally:
        await store.close()
        if context.redis is not None:
            await context.redis.close()
    latencies.sort()
    return StoreCost(operation.name, backend, latencies[n // 2] * 1e6, per_s, round_trips)


def _count_commands(context: StoreContext) -> list[int] | None:
    """From now on, count the commands the store's Redis client sends (one cell, [count])."""
    if context.redis is None:
        return None
    client = context.redis.client
    send = client.execute_command
    sent = [0]

    async def counted(*args: Any, **options: Any) -> Any:
        sent[0] += 1
        return await send(*args, **options)  # type: ignore[no-untyped-call]

    client.execute_command = counted  # type: ignore[method-assign]
    return sent
