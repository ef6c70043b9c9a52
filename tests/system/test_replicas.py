"""Real replicas on one real Redis: two ``python -m app`` processes, each started with
``RPC_STORE=redis://…``, and real workers. Replicas and Redis are SIGKILLed and started
again; nothing a call was told happened may be lost, and nothing may happen twice.
"""

from __future__ import annotations

import asyncio
import functools
import signal
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from app.cart.errors import CartNotFound, OutOfStock
from app.client import Client
from app.rpc.errors import Overloaded, RateLimited
from tests.helpers import redis_server
from tests.helpers.cart import write_catalog
from tests.helpers.keys import new_key
from tests.helpers.redis_server import RedisServer
from tests.helpers.server_process import ServerProcess, server_process
from tests.helpers.worker_process import worker_process
from tests.helpers.workload import FAST, assert_done_once, finished, mixed_task, submit_all

pytestmark = redis_server.needs_redis

PAYMENT = {"card_number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of the test's own, fsyncing its AOF on every write, so a SIGKILL loses nothing."""
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(directory, aof=True).start()
    yield server
    server.stop()


@asynccontextmanager
async def replica(
    redis: RedisServer, *args: str, port: int = 0, fast: bool = True, **env: str
) -> AsyncIterator[ServerProcess]:
    """One rpc-hub process on ``redis`` (on ``port``, so that a restart comes back there),
    with short leases and heartbeats unless not ``fast``."""
    settings = {"RPC_STORE": redis.url, "RPC_PORT": str(port), **env}
    async with server_process(*(FAST if fast else ()), *args, env=settings) as server:
        yield server


@asynccontextmanager
async def clients(*servers: ServerProcess) -> AsyncIterator[list[Client]]:
    errors = [OutOfStock, CartNotFound]
    async with (
        Client(f"{servers[0].url}/rpc", errors=errors) as first,
        Client(f"{servers[-1].url}/rpc", errors=errors) as last,
    ):
        yield [first, last]


async def buy(rpc: Client, product_id: str, key: str | None = None) -> dict[str, Any]:
    cart = await rpc.call("cart.create")
    await rpc.call("cart.add_item", cart_id=cart["cart_id"], product_id=product_id)
    order: dict[str, Any] = await rpc.call(
        "cart.checkout",
        cart_id=cart["cart_id"],
        payment=PAYMENT,
        idempotency_key=key or uuid.uuid4().hex,
    )
    return order


async def seen_since_registering(rpc: Client, worker_id: str) -> None:
    """Return once the worker has called in after registering: its claim has begun."""
    async with asyncio.timeout(10):
        while True:
            [worker] = [w for w in await rpc.call("workers.list") if w["worker_id"] == worker_id]
            if worker["last_seen"] > worker["registered_at"]:
                return


async def readyz(server: ServerProcess) -> int:
    async with aiohttp.ClientSession() as http, http.get(f"{server.url}/readyz") as response:
        return response.status


async def test_stock_of_50_sells_exactly_50_to_200_checkouts_over_two_replicas(
    redis: RedisServer, tmp_path: Path
) -> None:
    catalog = write_catalog(tmp_path / "catalog.json", {"widget": ("2.50", 50)})
    async with (
        replica(redis, RPC_CART_CATALOG=catalog) as a,
        replica(redis, RPC_CART_CATALOG=catalog) as b,
        clients(a, b) as (on_a, on_b),
    ):
        outcomes = await asyncio.gather(
            *(buy(on_a if i % 2 else on_b, "widget") for i in range(200)), return_exceptions=True
        )
        sold = [outcome for outcome in outcomes if isinstance(outcome, dict)]
        refused = [outcome for outcome in outcomes if isinstance(outcome, OutOfStock)]
        assert (len(sold), len(refused)) == (50, 150), [
            o for o in outcomes if not isinstance(o, dict | OutOfStock)
        ]
        for rpc in (on_a, on_b):
            assert (await rpc.call("cart.get_product", product_id="widget"))["stock"] == 0
        assert len({order["order_id"] for order in sold}) == 50


async def test_a_claim_waiting_on_one_replica_is_served_by_a_submit_on_the_other(
    redis: RedisServer,
) -> None:
    async with replica(redis) as a, replica(redis) as b, clients(a, b) as (on_a, on_b):
        worker = await on_a.call("workers.register", name="w", types=["compute"])
        claim = asyncio.create_task(
            on_a.call(
                "tasks.claim",
                worker_id=worker["worker_id"],
                wait_s=20,
                worker_token=worker["worker_token"],
            )
        )
        await seen_since_registering(on_a, worker["worker_id"])  # the claim waits on A
        task = await on_b.call(
            "tasks.submit", type="compute", payload={"op": "add", "a": 1, "b": 2}
        )
        async with asyncio.timeout(15):  # well before the claim's own 20 s
            claimed = await claim
        assert [c["task_id"] for c in claimed] == [task["task_id"]]


async def test_500_tasks_succeed_once_with_a_worker_and_a_replica_killed(
    redis: RedisServer,
) -> None:
    port_b = redis_server.free_port()
    work = [mixed_task(i) for i in range(500)]
    async with (
        replica(redis) as a,
        clients(a) as (on_a, _),
        replica(redis, port=port_b) as b,
        worker_process(a.url, "--concurrency", "6", "--name", "victim") as victim,
        worker_process(a.url, "--concurrency", "8", "--name", "on-a"),
        worker_process(b.url, "--concurrency", "8", "--name", "on-b") as on_b,
    ):
        ids = await submit_all(on_a, [task for task, _ in work])
        await victim.wait_started(30)
        victim.process.send_signal(signal.SIGKILL)
        await on_b.wait_started(30)
        b.process.send_signal(signal.SIGKILL)  # while on-b holds leases through it
        assert await b.process.wait() == -signal.SIGKILL
        # B comes back on its port, and its worker carries on there.
        async with replica(redis, port=port_b):
            views = await finished(on_a, ids)
    lost = assert_done_once(views, [expected for _, expected in work])
    assert lost >= 1, "a worker must have been killed while it held a task"


async def test_rate_limits_hold_across_replicas(redis: RedisServer) -> None:
    limits = {"RPC_RATE_LIMIT": "0.01", "RPC_RATE_BURST": "10"}
    async with (
        replica(redis, **limits) as a,
        replica(redis, **limits) as b,
        Client(f"{a.url}/rpc") as on_a,
        Client(f"{b.url}/rpc", retries=0) as on_b,  # no waiting out Retry-After (100 s)
    ):
        for _ in range(10):
            assert await on_a.call("calc.add", a=1, b=2) == 3
        with pytest.raises(RateLimited):
            await on_b.call("calc.add", a=1, b=2)


async def test_everything_survives_replicas_and_redis_killed_and_started_again(
    redis: RedisServer, tmp_path: Path
) -> None:
    catalog = write_catalog(tmp_path / "catalog.json", {"widget": ("2.50", 3)})
    port = redis_server.free_port()
    keys = tmp_path / "keys.jsonl"
    key = new_key(keys, "shopper", "cart")
    # Default leases (30 s): the restarts must not outlast the lease they keep.
    start = functools.partial(
        replica, redis, port=port, fast=False, RPC_CART_CATALOG=catalog, RPC_KEYS_FILE=str(keys)
    )
    async with start() as a, clients(a) as (rpc, _):
        async with Client(f"{a.url}/rpc", token=key) as shopper:
            owned = await shopper.call("cart.create")
        order = await buy(rpc, "widget", key="once")
        open_cart = await rpc.call("cart.create")
        await rpc.call("cart.add_item", cart_id=open_cart["cart_id"], product_id="widget")
        player = await rpc.call("game.join", name="ada")
        worker = await rpc.call("workers.register", name="w", types=["compute"])
        task = await rpc.call("tasks.submit", type="compute", payload={"op": "add", "a": 1, "b": 2})
        [leased] = await rpc.call(
            "tasks.claim", worker_id=worker["worker_id"], worker_token=worker["worker_token"]
        )
        waiting = await rpc.call(
            "tasks.submit", type="compute", payload={"op": "add", "a": 2, "b": 2}
        )
        a.process.send_signal(signal.SIGKILL)
        await a.process.wait()
    redis.kill()
    redis.start()
    async with start() as a, clients(a) as (rpc, _):
        assert (await rpc.call("cart.get_order", order_id=order["order_id"])) == order
        replayed = await rpc.call(
            "cart.checkout", cart_id=order["cart_id"], payment=PAYMENT, idempotency_key="once"
        )
        assert replayed == order  # the same order, nothing charged again
        assert (await rpc.call("cart.get_product", product_id="widget"))["stock"] == 2
        cart = await rpc.call("cart.get", cart_id=open_cart["cart_id"])
        assert [line["product_id"] for line in cart["lines"]] == ["widget"]
        async with Client(f"{a.url}/rpc", token=key) as shopper:  # the key's cart is still its own
            assert (await shopper.call("cart.get", cart_id=owned["cart_id"]))["cart_id"]
        with pytest.raises(CartNotFound):
            await rpc.call("cart.get", cart_id=owned["cart_id"])
        status = await rpc.call("game.status", player_id=player["player_id"])
        assert status["name"] == "ada"
        assert [w["worker_id"] for w in await rpc.call("workers.list")] == [worker["worker_id"]]
        renewed = await rpc.call(
            "tasks.heartbeat",
            task_id=task["task_id"],
            lease_id=leased["lease_id"],
            worker_token=worker["worker_token"],
        )
        assert renewed["lease_expires_at"] >= leased["lease_expires_at"]
        done = await rpc.call(
            "tasks.complete",
            task_id=task["task_id"],
            lease_id=leased["lease_id"],
            result=3,
            worker_token=worker["worker_token"],
        )
        assert done["state"] == "succeeded"
        assert (await rpc.call("tasks.get", task_id=waiting["task_id"]))["state"] == "pending"


async def test_redis_stopping_mid_run_gives_clear_errors_and_everything_recovers(
    redis: RedisServer,
) -> None:
    async with replica(redis, RPC_REDIS_TIMEOUT_S="0.5") as a, clients(a) as (rpc, _):
        cart = await rpc.call("cart.create")
        redis.kill()
        async with asyncio.timeout(10):  # every call ends within its timeout, none hangs
            with pytest.raises(Overloaded) as caught:
                await rpc.call("cart.get", cart_id=cart["cart_id"])
            assert caught.value.data["reason"].startswith("the store (Redis) did not answer")
            assert await readyz(a) == 503
            assert await rpc.call("calc.add", a=1, b=2) == 3, "calls that need no store still run"
        redis.start()
        assert (await rpc.call("cart.get", cart_id=cart["cart_id"]))["cart_id"] == cart["cart_id"]
        assert await readyz(a) == 200
