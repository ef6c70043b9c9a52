"""The trace context a submitted task keeps, so a worker's span can link to its submit.

Read from OpenTelemetry's current span (the ``tasks.submit`` call's, when the server traces
calls: ``app.observe.call_spans``). Domains sit below ``app.observe`` in the layers, so this
reads the context itself; without the otel extra, or with tracing off, there is none.
"""

from __future__ import annotations

from collections.abc import Callable


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the span now current, or None (no span, or no OpenTelemetry)."""
    return _read()


def _reader() -> Callable[[], str | None]:
    try:
        from opentelemetry.trace import get_current_span
    except ImportError:  # the otel extra is not installed
        return lambda: None

    def read() -> str | None:
        span = get_current_span().get_span_context()
        if not span.is_valid:
            return None
        return f"00-{span.trace_id:032x}-{span.span_id:016x}-{span.trace_flags:02x}"

    return read


_read = _reader()
