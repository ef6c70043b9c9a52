"""Demo mode (`serve --demo`): the records that OpenRPC's examples name, made at start-up.

The examples (handlers/examples/) name carts, an order, a player, a worker and its tasks
by realistic ids. Demo mode makes each of them, in the state its example starts from, so that
every example run once in the document's order succeeds against a fresh server. Each record
is made through its store's Protocol, as a call would make it, by the anonymous caller, so
that anyone may use it; a scripted `Ids` gives the records being made the examples' ids and
tokens, and everything made later random ones, as ever. The seeded worker heartbeats its
tasks while it stays registered, so their leases wait for the examples that report on them.

Demo mode needs the memory store: a Redis would keep these public ids and tokens for good,
share them with every replica, and seed them again at each start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from aiohttp import web

from app.cart.models import RawPayment
from app.cart.store import CartStore
from app.game.store import GameStore
from app.ids import IdKind, Ids
from app.rpc.access import ANONYMOUS
from app.rpc.errors import DomainError
from app.server.lifecycle import Stores
from app.stores import StartupError, StoreContext
from app.tasks.errors import WorkerNotFound
from app.tasks.models import RunningTask
from app.tasks.store import TaskStore
from handlers.examples import cart, game, tasks, workers

log = logging.getLogger("app.server")

OWNER = ANONYMOUS
"""Whom the seeded records belong to: every caller without a key (and admin) may use them."""
DAY_S = 86_400.0
_KEEP: dict[str, Any] = {"timeout_s": DAY_S, "result_ttl_s": 30 * DAY_S}
"""The claimed tasks may run, and their results be read, as long as tasks.submit allows."""


class ScriptedIds(Ids):
    """Random ids, except those given to `giving`, which the next records of their kind take."""

    def __init__(self) -> None:
        self._next: defaultdict[IdKind, deque[str]] = defaultdict(deque)

    def new(self, kind: IdKind, nbytes: int, prefix: str = "") -> str:
        queued = self._next.get(kind)
        if queued:
            return queued.popleft()
        return super().new(kind, nbytes, prefix)

    @contextlib.contextmanager
    def giving(self, values: Mapping[IdKind, str], store: str) -> Iterator[None]:
        """Have the block's records take `values`; StartupError if `store` took fewer."""
        for kind, value in values.items():
            self._next[kind].append(value)
        try:
            yield
        finally:
            left = sorted(kind for kind, queued in self._next.items() if queued)
            self._next.clear()
        if left:
            raise StartupError(
                f"--demo: the {store} did not take the examples' ids ({', '.join(left)}); "
                "demo mode needs the built-in memory backends"
            )


def prepared(context: StoreContext) -> StoreContext:
    """`context` for a demo's stores (ids they can be given); StartupError on a Redis."""
    if context.redis is not None:
        raise StartupError(
            "--demo seeds the examples' records, whose ids and tokens are public, into this "
            "process's memory: it cannot use a Redis store, which would keep them and share "
            "them with every replica. Serve the demo with --store memory (one process)."
        )
    return replace(context, ids=ScriptedIds())


def seeded(
    stores: Stores, context: StoreContext
) -> Callable[[web.Application], AsyncIterator[None]]:
    """The cleanup context that seeds the opened `stores`, then keeps the worker's leases."""

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        ids = context.ids
        if not isinstance(ids, ScriptedIds):
            raise TypeError("a demo's stores need the context demo.prepared gives")
        settings = context.settings
        # Often enough for the worker to stay online and its leases to stay live.
        every_s = min(settings.worker_heartbeat_s, settings.task_lease_ttl_s / 3)
        made, keeper = await seed(stores.by_protocol, ids, every_s)
        log.warning(
            "demo mode: seeded %s that OpenRPC's examples name. Their ids and tokens are "
            "public, so any caller may use them: never serve --demo in production.",
            ", ".join(made) or "nothing (no store of the built-in namespaces is served)",
        )
        yield
        if keeper is not None:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper

    return lifecycle


async def seed(
    backends: Mapping[type[Any], object], ids: ScriptedIds, heartbeat_s: float
) -> tuple[list[str], asyncio.Task[None] | None]:
    """Seed each store the examples need that is served; what was made, and the task that
    heartbeats the seeded worker every `heartbeat_s` (None without a task store)."""
    made: list[str] = []
    keeper = None
    shop = backends.get(CartStore)
    if isinstance(shop, CartStore):
        await _seed_shop(shop, ids)
        made.append("3 carts and an order")
    round_ = backends.get(GameStore)
    if isinstance(round_, GameStore):
        await _seed_game(round_, ids)
        made.append("a player")
    queue = backends.get(TaskStore)
    if isinstance(queue, TaskStore):
        running = await _seed_tasks(queue, ids)
        keeper = asyncio.create_task(_keep_alive(queue, running, heartbeat_s))
        made.append(f"a worker and {len(tasks.SEEDED)} tasks")
    return made, keeper


async def _seed_shop(shop: CartStore, ids: ScriptedIds) -> None:
    for cart_id in (cart.CART_ID, cart.CHECKOUT_CART_ID, cart.PAID_CART_ID):
        with ids.giving({"cart": cart_id}, "cart store"):
            await shop.create_cart(OWNER)
        for product_id, quantity in cart.SEEDED_LINES.items():
            await shop.add_item(OWNER, cart_id, product_id, quantity)
    card = RawPayment(cart.CARD).card()
    with ids.giving({"order": cart.ORDER_ID}, "cart store"):
        await shop.checkout(OWNER, cart.PAID_CART_ID, card, cart.PAID_WITH_KEY)


async def _seed_game(round_: GameStore, ids: ScriptedIds) -> None:
    player: dict[IdKind, str] = {"player": game.PLAYER_ID, "player_token": game.PLAYER_TOKEN}
    with ids.giving(player, "game store"):
        await round_.join(OWNER, game.PLAYER_NAME)


async def _seed_tasks(queue: TaskStore, ids: ScriptedIds) -> list[RunningTask]:
    """Register the worker, then submit each task (claiming those with a lease); the leases
    that are still live."""
    worker: dict[IdKind, str] = {"worker": workers.WORKER_ID, "worker_token": workers.WORKER_TOKEN}
    with ids.giving(worker, "task store"):
        await queue.register(
            OWNER,
            workers.WORKER_NAME,
            workers.WORKER_TYPES,
            ["default"],
            workers.WORKER_CAPACITY,
        )
    token = workers.WORKER_TOKEN
    leases: dict[str, str] = {}
    for task in tasks.SEEDED:
        extra = {**_KEEP, **task.extra} if task.lease_id is not None else task.extra
        with ids.giving({"task": task.task_id}, "task store"):
            await queue.submit(OWNER, task.type, task.payload, **extra)
        if task.lease_id is None:
            continue
        with ids.giving({"lease": task.lease_id}, "task store"):
            claimed = await queue.claim(OWNER, workers.WORKER_ID, 1, 0, token=token)
        if [c.task_id for c in claimed] != [task.task_id]:
            raise StartupError(f"--demo: the worker claimed {claimed!r}, not {task.task_id}")
        leases[task.task_id] = task.lease_id
    done, dead = tasks.DONE.task_id, tasks.DEAD.task_id
    await queue.complete(OWNER, done, leases.pop(done), tasks.DONE_RESULT, token=token)
    await queue.fail(OWNER, dead, leases.pop(dead), tasks.DEAD_ERROR, True, token=token)
    return [RunningTask(task_id=task_id, lease_id=lease) for task_id, lease in leases.items()]


async def _keep_alive(queue: TaskStore, running: list[RunningTask], every_s: float) -> None:
    """Heartbeat the seeded worker with its leases still live, until it is deregistered.

    Without heartbeats a lease lapses and the worker goes offline: the examples that report
    on a seeded lease must find it live whenever they run (within the tasks' day of timeout).
    """
    while True:
        await asyncio.sleep(every_s)
        try:
            beat = await queue.worker_heartbeat(
                OWNER, workers.WORKER_ID, running, token=workers.WORKER_TOKEN
            )
        except WorkerNotFound:
            return  # deregistered (workers.deregister's example): its tasks went back
        except DomainError:
            log.exception("demo mode: the seeded worker's heartbeat failed")
            continue
        running = [task for task in running if task.task_id not in beat.cancel]
