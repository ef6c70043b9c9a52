"""The worker's span for one attempt at a task, linked to the ``tasks.submit`` call's span.

A CONSUMER span in the messaging conventions' terms (``process <queue>``), the root of a trace
of its own: the submit's trace may be long over, and one submit can lead to many attempts.
Its link carries the submit's trace context, which the task record kept (``traceparent``).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanKind, Tracer, get_current_span
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_W3C = TraceContextTextMapPropagator()


def execution(tracer: Tracer, task: Mapping[str, Any]) -> AbstractContextManager[Span]:
    """Current while the task's function runs: a raised error marks it failed."""
    links = []
    traceparent = task.get("traceparent")
    if isinstance(traceparent, str):
        submitted = get_current_span(_W3C.extract({"traceparent": traceparent}))
        if submitted.get_span_context().is_valid:
            links.append(Link(submitted.get_span_context()))
    return tracer.start_as_current_span(
        f"process {task['queue']}",
        kind=SpanKind.CONSUMER,
        links=links,
        attributes={
            "messaging.system": "rpc_hub",
            "messaging.operation.name": "process",
            "messaging.operation.type": "process",
            "messaging.destination.name": task["queue"],
            "messaging.message.id": task["task_id"],
            "rpc_hub.task.type": task["type"],
            "rpc_hub.task.attempt": task["attempt"],
        },
        context=Context(),  # a root, whatever the worker's own calls had current
    )
