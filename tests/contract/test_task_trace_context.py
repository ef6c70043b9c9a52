"""Every backend keeps a task's submit trace context and hands it to each attempt's claim."""

from __future__ import annotations

import pytest

pytest.importorskip("opentelemetry.sdk.trace", reason="the otel extra is not installed")

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Span

from app.clock import ManualClock
from app.rpc.access import Principal
from app.tasks.memory import MemoryTaskStore
from app.tasks.redis import RedisTaskStore
from app.tasks.store import TaskStore
from tests.helpers.backends import on_redis

BACKENDS = [pytest.param(MemoryTaskStore, id="memory"), on_redis(RedisTaskStore)]
ALICE = Principal("key:alice", "alice", frozenset({"tasks:submit", "tasks:work"}))


def traceparent(span: Span) -> str:
    context = span.get_span_context()
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"


async def test_each_attempt_is_claimed_with_the_submits_trace_context(
    tasks: TaskStore, clock: ManualClock
) -> None:
    tracer = TracerProvider().get_tracer("tests")
    with tracer.start_as_current_span("tasks.submit") as submitting:
        traced = (await tasks.submit(ALICE, "compute", {"n": 1})).task_id
    untraced = (await tasks.submit(ALICE, "compute", {"n": 2})).task_id
    worker = (await tasks.register(ALICE, "w", ["compute"], ["default"], 5)).worker_id
    first = {task.task_id: task for task in await tasks.claim(ALICE, worker, 5, 0)}
    assert first[traced].traceparent == traceparent(submitting)
    assert first[untraced].traceparent is None
    retry = await tasks.fail(ALICE, traced, first[traced].lease_id, "again", True)
    clock.advance(retry.ready_at - clock.time())
    [second] = await tasks.claim(ALICE, worker, 5, 0)
    assert (second.task_id, second.attempt) == (traced, 2)
    assert second.traceparent == traceparent(submitting)


async def test_a_deduplicated_submit_keeps_the_original_context(tasks: TaskStore) -> None:
    tracer = TracerProvider().get_tracer("tests")
    with tracer.start_as_current_span("first") as first:
        await tasks.submit(ALICE, "compute", idempotency_key="k")
    with tracer.start_as_current_span("again"):
        again = await tasks.submit(ALICE, "compute", idempotency_key="k")
    assert again.deduplicated
    worker = (await tasks.register(ALICE, "w", ["compute"], ["default"], 5)).worker_id
    [claimed] = await tasks.claim(ALICE, worker, 5, 0)
    assert claimed.traceparent == traceparent(first)
