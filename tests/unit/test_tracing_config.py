"""When traces are on (the OTEL_* variables, as the SDK's autoconfiguration reads them) and
where they go."""

from __future__ import annotations

import pytest

from app.observe import tracing


@pytest.mark.parametrize(
    ("environ", "on"),
    [
        ({}, False),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_TRACES_EXPORTER": "otlp,console"}, True),
        ({"OTEL_TRACES_EXPORTER": "none"}, False),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": ""}, False),
        ({"OTEL_SERVICE_NAME": "x", "OTEL_TRACES_SAMPLER": "always_on"}, False),
        ({"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "true"}, False),
    ],
)
def test_traces_are_on_only_when_an_exporter_or_endpoint_is_set(
    environ: dict[str, str], on: bool
) -> None:
    assert tracing.wanted(environ) is on


def test_no_tracer_and_no_trace_id_when_off() -> None:
    assert tracing.from_environment("rpc-hub", {}) is None
    assert tracing.current_trace_id() is None


@pytest.mark.parametrize(
    ("environ", "service"),
    [
        ({"OTEL_TRACES_EXPORTER": "console"}, "rpc-hub"),
        ({"OTEL_TRACES_EXPORTER": "console", "OTEL_SERVICE_NAME": "billing"}, "billing"),
    ],
)
def test_spans_name_the_service_unless_otel_does(
    environ: dict[str, str], service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # That console spans reach stdout is tests/system/test_traces_process.py's to show.
    pytest.importorskip("opentelemetry.sdk.trace", reason="the otel extra is not installed")
    for name, value in environ.items():
        monkeypatch.setenv(name, value)  # the SDK reads its own variables too
    provider = tracing.build_provider("rpc-hub", environ)
    try:
        with provider.get_tracer("tests").start_as_current_span("hello"):
            assert tracing.current_trace_id() is not None
        assert provider.resource.attributes["service.name"] == service
    finally:
        provider.shutdown()


@pytest.mark.parametrize(
    ("environ", "problem"),
    [
        ({"OTEL_TRACES_EXPORTER": "nosuch"}, "no trace exporter named 'nosuch'"),
        (
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "carrier-pigeon"},
            "unknown OTLP protocol",
        ),
    ],
)
def test_an_exporter_that_cannot_be_had_is_refused(environ: dict[str, str], problem: str) -> None:
    pytest.importorskip("opentelemetry.sdk.trace", reason="the otel extra is not installed")
    with pytest.raises(tracing.TracingError, match=problem):
        tracing.build_provider("rpc-hub", environ)
