"""The task queue's cores where the Protocol cannot see: the deadline heap stays bounded
however often a task is claimed and released, what is kept of a task's JSON is exact-size,
and the ready queues keep no empty heaps for names clients made up."""

from __future__ import annotations

import tracemalloc

from app.clock import ManualClock
from app.rpc.access import Principal
from app.tasks.expiry import COMPACT_FACTOR, COMPACT_MIN
from app.tasks.models import TaskState
from app.tasks.queue import TaskQueue
from app.tasks.records import encode
from app.tasks.state import QueueLimits

ALICE = Principal("key:alice", "alice", frozenset({"tasks:submit", "tasks:work"}))


def test_claim_and_release_loops_leave_a_bounded_deadline_heap() -> None:
    clock = ManualClock()
    queue = TaskQueue(QueueLimits(), clock)
    task = queue.submit(ALICE, "compute", None, max_attempts=10**6).task_id
    worker = queue.register(ALICE, "w", ["compute"], ["default"], 1).worker_id
    scheduled = queue.submit(ALICE, "compute", None, delay_s=100).task_id
    for _ in range(3 * COMPACT_MIN):  # each claim adds a lease deadline 30 s away
        [claimed] = queue.claim(ALICE, worker, 1, None)
        queue.release(ALICE, task, claimed.lease_id, None)
    records = len(queue.tasks) + len(queue.workers)
    assert len(queue.deadlines) <= COMPACT_FACTOR * records + COMPACT_MIN + 1
    # What the rebuilt heap holds still fires: a lease lapses, a delay ends.
    [claimed] = queue.claim(ALICE, worker, 1, None)
    clock.advance(30)
    queue.sweep()
    assert queue.tasks[task].state is TaskState.SCHEDULED  # the lapse was charged: a backoff
    clock.advance(70)
    queue.sweep()
    assert queue.tasks[scheduled].state is TaskState.PENDING


def test_kept_json_takes_its_own_size_not_orjsons_buffer() -> None:
    # orjson's result keeps the buffer it grew (4 KiB for "x"); what is kept is a copy.
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [encode(f"x{n}") for n in range(100)]
        per_value = (tracemalloc.get_traced_memory()[0] - before) / len(kept)
    finally:
        tracemalloc.stop()
    assert per_value < 200
    assert encode(None) == b"null" and encode({"a": [1, 2]}) == b'{"a":[1,2]}'


def test_ready_queues_keep_no_heap_once_it_is_empty() -> None:
    queue = TaskQueue(QueueLimits(), ManualClock())
    types = [f"type-{n}" for n in range(50)]
    worker = queue.register(ALICE, "w", types, ["default"], 100).worker_id
    for type_ in types:
        queue.submit(ALICE, type_, None)
    assert len(queue.claim(ALICE, worker, 100, None)) == 50
    assert not queue.has_ready() and not queue._ready._heaps
