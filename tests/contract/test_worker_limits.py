"""The worker registry's bounds, through the TaskStore Protocol only: a quota per principal,
a cap in all (an offline worker in the way makes room), and ``list_workers`` a page at a time.
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from app.clock import ManualClock
from app.rpc.access import ADMIN, Principal
from app.rpc.errors import Overloaded, QuotaExceeded
from app.tasks.errors import WorkerNotFound
from app.tasks.memory import MemoryTaskStore
from app.tasks.models import Health
from app.tasks.redis import RedisTaskStore
from app.tasks.store import TaskStore
from tests.contract.test_task_store import Factory
from tests.helpers.backends import on_redis, opened

BACKENDS = [pytest.param(MemoryTaskStore, id="memory"), on_redis(RedisTaskStore)]
WORK = frozenset({"tasks:work"})
ALICE = Principal("key:alice", "alice", WORK)
BOB = Principal("key:bob", "bob", WORK)
ADMIN_KEY = Principal("key:root", "root", frozenset({ADMIN}))
SILENT_S = 30
"""Three heartbeat intervals: a worker silent this long is offline."""


async def register(tasks: TaskStore, caller: Principal) -> str:
    return (await tasks.register(caller, "w", ["compute"], ["default"], 1)).worker_id


async def test_each_principal_registers_at_most_its_quota(backend: Factory) -> None:
    async with opened(backend, worker_max_workers_per_owner=2) as tasks:
        for caller in (ALICE, ADMIN_KEY):
            await register(tasks, caller)
            await register(tasks, caller)
            with pytest.raises(QuotaExceeded) as quota:
                await register(tasks, caller)
            assert quota.value.data == {"resource": "workers", "limit": 2, "held": 2}
        await register(tasks, BOB)
        alice = [w.worker_id for w in await tasks.list_workers(ALICE)]
        await tasks.deregister(ALICE, alice[0])
        await register(tasks, ALICE)  # one left: room for one


async def test_the_server_registers_at_most_its_cap(backend: Factory) -> None:
    async with opened(backend, worker_max_workers=2) as tasks:
        await register(tasks, ALICE)
        await register(tasks, BOB)
        with pytest.raises(Overloaded) as full:
            await register(tasks, ADMIN_KEY)
        assert full.value.data == {"resource": "workers", "limit": 2}


@pytest.mark.parametrize("cap", ["worker_max_workers_per_owner", "worker_max_workers"])
async def test_an_offline_worker_in_the_way_is_forgotten_to_make_room(
    backend: Factory, clock: ManualClock, cap: str
) -> None:
    async with opened(backend, clock, **{cap: 2}) as tasks:
        quiet = await register(tasks, ALICE)
        clock.advance(1)
        quieter = await register(tasks, ALICE if cap.endswith("owner") else BOB)
        clock.advance(SILENT_S)
        alive = await register(tasks, ALICE)  # both offline: the one silent longest goes
        with pytest.raises(WorkerNotFound):
            await tasks.claim(ALICE, quiet, 1, 0)
        await tasks.worker_heartbeat(ADMIN_KEY, quieter, [])  # online again
        listed = {w.worker_id: w.health for w in await tasks.list_workers(ADMIN_KEY)}
        assert listed == {quieter: Health.ONLINE, alive: Health.ONLINE}
        with pytest.raises((QuotaExceeded, Overloaded)):
            await register(tasks, ALICE)  # an online worker is never forgotten


async def test_the_list_pages_in_worker_id_order(backend: Factory) -> None:
    async with opened(backend) as tasks:
        ids = sorted([await register(tasks, ALICE) for _ in range(5)])
        await register(tasks, BOB)
        first = await tasks.list_workers(ALICE, limit=2)
        assert [w.worker_id for w in first] == ids[:2]
        await tasks.deregister(ALICE, ids[1])  # the page's last worker goes: paging holds
        rest = await tasks.list_workers(ALICE, after=ids[1], limit=10)
        assert [w.worker_id for w in rest] == ids[2:]
        assert [w.worker_id for w in await tasks.list_workers(ALICE)] == [ids[0], *ids[2:]]
        assert len(await tasks.list_workers(ADMIN_KEY, limit=500)) == 5


@hypothesis_settings(max_examples=25, deadline=None)
@given(
    mine=st.integers(0, 12),
    others=st.integers(0, 4),
    limit=st.integers(1, 5),
    leave=st.sets(st.integers(0, 11)),
)
def test_pages_list_every_worker_once(
    backend: Factory, mine: int, others: int, limit: int, leave: set[int]
) -> None:
    """Walking the pages (while some workers leave) lists each staying worker exactly once."""

    async def scenario() -> None:
        async with opened(backend) as tasks:
            ids = [await register(tasks, ALICE) for _ in range(mine)]
            for _ in range(others):
                await register(tasks, BOB)
            leaving = {ids[i] for i in leave if i < mine}
            seen: list[str] = []
            after = None
            while True:
                page = [w.worker_id for w in await tasks.list_workers(ALICE, after, limit)]
                assert len(page) <= limit
                seen.extend(page)
                if len(page) < limit:
                    break
                after = page[-1]
                for worker_id in leaving - set(seen):  # unseen ones leave mid-walk
                    await tasks.deregister(ALICE, worker_id)
                    leaving.discard(worker_id)
            assert seen == sorted(seen) and len(set(seen)) == len(seen)
            staying = set(ids) - {ids[i] for i in leave if i < mine}
            assert staying <= set(seen) <= set(ids)

    asyncio.run(scenario())
