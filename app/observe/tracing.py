"""OpenTelemetry traces, an optional extra (``pip install 'rpc-hub[otel]'``).

Tracing is on only where the standard variables ask for it, as the SDK's own
autoconfiguration decides: ``OTEL_TRACES_EXPORTER`` (``console``, ``otlp``, …; ``none`` is
off) or ``OTEL_EXPORTER_OTLP_ENDPOINT`` (then ``otlp``). Everything else is the SDK's
(``OTEL_SERVICE_NAME``, ``OTEL_TRACES_SAMPLER``, ``OTEL_BSP_*``, the exporters' own
variables). OTLP needs its exporter package too (``opentelemetry-exporter-otlp-proto-http``,
or ``-grpc`` with ``OTEL_EXPORTER_OTLP_PROTOCOL=grpc``).

This module imports OpenTelemetry only when asked, so every process can import it: with the
extra missing, or tracing off, ``from_environment`` and ``current_trace_id`` answer None.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from app import __version__

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import SpanContext, Tracer

log = logging.getLogger("app.observe")

SCHEMA_URL = "https://opentelemetry.io/schemas/1.40.0"
"""The semantic conventions the spans follow (JSON-RPC's as of 1.39)."""
_ON_WITHOUT_EXPORTER = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
_OTLP_BY_PROTOCOL = {"http/protobuf": "otlp_proto_http", "grpc": "otlp_proto_grpc"}


class TracingError(RuntimeError):
    """The environment asks for traces this installation cannot send."""


def wanted(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the ``OTEL_*`` variables ask for traces."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporters:
        return exporters != "none"
    return any(environ.get(name, "").strip() for name in _ON_WITHOUT_EXPORTER)


def from_environment(service: str, environ: Mapping[str, str] = os.environ) -> Tracer | None:
    """This process's tracer, if the ``OTEL_*`` variables ask for traces; else None.

    The first call sets the process's global tracer provider; later calls, or a provider
    someone set before (``opentelemetry-instrument``), are reused.
    """
    if not wanted(environ):
        return None
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
    except ImportError:
        log.warning("OTEL_* asks for traces, but the otel extra is not installed: tracing is off")
        return None
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        provider = current
    else:
        try:
            provider = build_provider(service, environ)
        except TracingError as exc:
            log.error("tracing is off: %s", exc)
            return None
        trace.set_tracer_provider(provider)
    return provider.get_tracer("rpc-hub", __version__, schema_url=SCHEMA_URL)


def build_provider(service: str, environ: Mapping[str, str] = os.environ) -> TracerProvider:
    """A tracer provider exporting where the ``OTEL_*`` variables say (through the SDK's
    ``opentelemetry_traces_exporter`` entry points), each exporter behind a batch processor."""
    from importlib.metadata import entry_points

    from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({SERVICE_VERSION: __version__})
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: service}))
    provider = TracerProvider(resource=resource)
    for name in _exporter_names(environ):
        found = entry_points(group="opentelemetry_traces_exporter", name=name)
        if not found:
            raise TracingError(
                f"no trace exporter named {name!r} is installed "
                "(for OTLP: pip install opentelemetry-exporter-otlp-proto-http)"
            )
        exporter = next(iter(found)).load()
        provider.add_span_processor(BatchSpanProcessor(exporter()))
    return provider


def _exporter_names(environ: Mapping[str, str]) -> list[str]:
    names = [n.strip() for n in (environ.get("OTEL_TRACES_EXPORTER") or "otlp").split(",")]
    protocol = (
        environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "http/protobuf"  # the specification's default (the Python SDK's own is grpc)
    ).strip()
    if "otlp" in names and protocol not in _OTLP_BY_PROTOCOL:
        raise TracingError(f"unknown OTLP protocol {protocol!r}: use http/protobuf or grpc")
    return [_OTLP_BY_PROTOCOL[protocol] if n == "otlp" else n for n in names if n]


def current_trace_id() -> str | None:
    """The id of the trace now current, as logs show it (32 hex digits), or None."""
    span = _current_span_context()
    if span is None or not span.is_valid:
        return None
    return f"{span.trace_id:032x}"


def _span_context_reader() -> Callable[[], SpanContext | None]:
    try:
        from opentelemetry.trace import get_current_span
    except ImportError:  # the otel extra is not installed
        return lambda: None
    return lambda: get_current_span().get_span_context()


_current_span_context = _span_context_reader()
