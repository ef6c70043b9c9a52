"""The engine with only the observation asked for: the plain ``Dispatcher`` when none is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from app.observe.call_params import ParamsDispatcher
from app.rpc.dispatch import CallRecorder, Dispatcher, Limits
from app.rpc.registry import Registry

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer


def observed_dispatcher(
    registry: Registry,
    limits: Limits,
    resources: Mapping[type, object],
    on_calls: CallRecorder,
    *,
    tracer: Tracer | None = None,
    log_params: bool = False,
) -> Dispatcher:
    """A dispatcher that makes spans with ``tracer``, and keeps params for the call log
    with ``log_params``; without either, the plain one, which pays nothing for them."""
    if tracer is not None:
        from app.observe import call_spans  # the otel extra, which a tracer implies

        traced = call_spans.TracedParamsDispatcher if log_params else call_spans.TracedDispatcher
        return traced(registry, limits, resources, on_calls, tracer)
    plain = ParamsDispatcher if log_params else Dispatcher
    return plain(registry, limits, resources, on_calls)
