"""Traces: a SERVER span per call in the JSON-RPC semantic conventions, batches as a parent
with their items as children, W3C traceparent honoured (HTTP and the WebSocket upgrade),
the call log and the span naming each other, and a worker's span linked to the submit."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import logging
import re
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

import orjson
import pytest

pytest.importorskip("opentelemetry.sdk.trace", reason="the otel extra is not installed")

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode, Tracer

from app import logs
from app.cart.payment import Processor
from app.client import Client as RpcClient
from app.observe.call_params import ParamsDispatcher
from app.observe.call_spans import TracedDispatcher, TracedParamsDispatcher
from app.plugins import Plugin
from app.rpc.dispatch import Dispatcher
from app.server import create_app
from app.server.keys import DISPATCHER
from app.settings import Settings
from app.tasks.errors import LeaseLost, TaskNotFound, WorkerNotFound
from app.worker import Options, Worker
from app.worker.task_types import BUILTIN
from tests.helpers.cart import recording
from tests.helpers.probe import Probe
from tests.helpers.rpc import Client, post

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


@dataclasses.dataclass
class Traced:
    """A test app whose calls are traced to ``exporter``."""

    client: Client
    exporter: InMemorySpanExporter

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def named(self, name: str) -> list[ReadableSpan]:
        return [span for span in self.spans() if span.name == name]


def in_memory() -> tuple[Tracer, InMemorySpanExporter]:
    """A tracer of its own (never the process's global provider) and what it exported."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("tests"), exporter


MakeTraced = Callable[..., Awaitable[Traced]]


@pytest.fixture
def make_traced(aiohttp_client: Any, probe: Probe, processors: list[Processor]) -> MakeTraced:
    async def make(**overrides: Any) -> Traced:
        tracer, exporter = in_memory()
        settings = dataclasses.replace(Settings(), **overrides)
        plugins = (recording(processors), Plugin([probe.namespace]))
        client = await aiohttp_client(create_app(settings, plugins, tracer=tracer))
        return Traced(client, exporter)

    return make


@pytest.fixture
async def traced(make_traced: MakeTraced) -> Traced:
    return await make_traced()


def request(method: str, params: Any = None, id: Any = 1) -> dict[str, Any]:
    call: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        call["params"] = params
    if id is not None:
        call["id"] = id
    return call


def attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def traceparent_of(span: ReadableSpan) -> str:
    assert span.context is not None
    trace_id, span_id = hex_ids(span)
    return f"00-{trace_id}-{span_id}-{span.context.trace_flags:02x}"


def hex_ids(span: ReadableSpan) -> tuple[str, str]:
    """The span's trace id and span id, as a traceparent writes them."""
    assert span.context is not None
    return f"{span.context.trace_id:032x}", f"{span.context.span_id:016x}"


async def test_a_call_is_a_server_span_named_by_its_method(traced: Traced) -> None:
    status, _ = await post(traced.client, request("calc.add", [1, 2], 7), **{"X-Request-ID": "r-7"})
    assert status == 200
    [span] = traced.spans()
    assert (span.name, span.kind, span.status.status_code) == (
        "calc.add",
        SpanKind.SERVER,
        StatusCode.UNSET,
    )
    assert attributes(span) == {
        "rpc.system.name": "jsonrpc",
        "rpc.method": "calc.add",
        "jsonrpc.protocol.version": "2.0",
        "jsonrpc.request.id": "7",
        "rpc_hub.request_id": "r-7",
        "rpc_hub.principal": "anonymous",
    }
    assert span.parent is None  # no traceparent: a trace of its own


async def test_an_error_carries_its_code_as_a_string(traced: Traced) -> None:
    await post(traced.client, request("calc.divide", [1, 0], "d"))
    [span] = traced.spans()
    assert span.status.status_code is StatusCode.ERROR
    assert attributes(span)["error.type"] == "1001"
    assert attributes(span)["rpc.response.status_code"] == "1001"
    assert attributes(span)["jsonrpc.request.id"] == "d"


async def test_an_unknown_method_is_other_and_names_no_span(traced: Traced) -> None:
    await post(traced.client, request("no.such_method"))
    await post(traced.client, b"{not json")
    unknown, unparsed = traced.spans()
    assert unknown.name == "jsonrpc"
    assert attributes(unknown)["rpc.method"] == "_OTHER"
    assert attributes(unknown)["rpc.method_original"] == "no.such_method"
    assert attributes(unknown)["error.type"] == "-32601"
    assert unparsed.name == "jsonrpc" and "rpc.method" not in attributes(unparsed)
    assert attributes(unparsed)["error.type"] == "-32700"


async def test_a_batch_is_one_span_and_its_items_are_its_children(traced: Traced) -> None:
    batch = [
        request("calc.add", [1, 2], 1),
        request("calc.divide", [1, 0], 2),
        request("calc.add", [3, 4], id=None),  # a notification
        5,  # not a request object
    ]
    status, body = await post(traced.client, batch)
    assert status == 200 and len(body) == 3
    [root] = traced.named("jsonrpc batch")
    assert root.kind is SpanKind.SERVER
    assert attributes(root)["rpc.batch.size"] == 4
    items = [span for span in traced.spans() if span is not root]
    assert sorted(span.name for span in items) == ["calc.add", "calc.add", "calc.divide", "jsonrpc"]
    trace_id, root_id = hex_ids(root)
    for item in items:
        assert item.kind is SpanKind.SERVER
        assert item.parent is not None and f"{item.parent.span_id:016x}" == root_id
        assert hex_ids(item)[0] == trace_id
        assert item.start_time is not None and root.start_time is not None
        assert item.end_time is not None and root.end_time is not None
        assert root.start_time <= item.start_time <= item.end_time <= root.end_time
    [divide] = [span for span in items if span.name == "calc.divide"]
    assert attributes(divide)["error.type"] == "1001"
    adds = [attributes(span).get("jsonrpc.request.id") for span in items if span.name == "calc.add"]
    assert sorted(adds, key=str) == ["1", None]  # a notification has no id to show
    [invalid] = [span for span in items if span.name == "jsonrpc"]
    assert attributes(invalid)["error.type"] == "-32600"


async def test_each_batch_item_is_current_while_its_handler_runs(
    traced: Traced, probe: Probe
) -> None:
    # Gated calls suspend, so the items after the first run in tasks of their own, each
    # under its own span: a task submitted there records that item's span.
    probe.gate_at = 2
    batch = [
        request("probe.gated", [1], 1),
        request("tasks.submit", {"type": "compute"}, 2),
        request("probe.gated", [2], 3),
        request("tasks.submit", {"type": "compute"}, 4),
    ]
    status, body = await post(traced.client, batch)
    assert status == 200 and all("result" in answer for answer in body)
    submits = {
        attributes(span)["jsonrpc.request.id"]: span for span in traced.named("tasks.submit")
    }
    claimed = await claim_all(traced.client)
    recorded = {task["task_id"]: task["traceparent"] for task in claimed}
    for answer in body:
        if answer["id"] in (2, 4):
            submit = submits[str(answer["id"])]
            assert recorded[answer["result"]["task_id"]] == traceparent_of(submit)
    [root] = traced.named("jsonrpc batch")
    for span in traced.named("probe.gated"):
        assert span.parent is not None and span.parent.span_id == root.context.span_id


async def test_the_callers_traceparent_is_the_parent(traced: Traced) -> None:
    await post(traced.client, request("calc.add", [1, 2]), traceparent=TRACEPARENT)
    await post(traced.client, [request("calc.add", [1, 2])], traceparent=TRACEPARENT)
    call, item, batch = traced.spans()
    for root in (call, batch):
        assert hex_ids(root)[0] == TRACE_ID
        assert root.parent is not None and root.parent.is_remote
        assert f"{root.parent.span_id:016x}" == PARENT_ID
    assert hex_ids(item)[0] == TRACE_ID


async def test_a_malformed_traceparent_starts_a_new_trace(traced: Traced) -> None:
    await post(traced.client, request("calc.add", [1, 2]), traceparent="00-zz-yy-01")
    [span] = traced.spans()
    assert span.parent is None and hex_ids(span)[0] != TRACE_ID


async def test_websocket_frames_are_children_of_the_upgrades_traceparent(
    traced: Traced,
) -> None:
    async with traced.client.ws_connect("/rpc", headers={"traceparent": TRACEPARENT}) as ws:
        for id_ in (1, 2):
            await ws.send_str(orjson.dumps(request("calc.add", [id_, 1], id_)).decode())
            assert orjson.loads(await ws.receive_str())["result"] == id_ + 1
    spans = traced.named("calc.add")
    assert len(spans) == 2
    for span in spans:
        assert hex_ids(span)[0] == TRACE_ID
        assert span.parent is not None and f"{span.parent.span_id:016x}" == PARENT_ID
    frames = sorted(attributes(span)["rpc_hub.request_id"].rsplit(".", 1)[1] for span in spans)
    assert frames == ["1", "2"]  # each frame its own request id, as its call log line says


async def test_the_call_log_and_the_span_name_each_other(
    make_traced: MakeTraced, capsys: pytest.CaptureFixture[str]
) -> None:
    for fmt in ("text", "json"):
        traced = await make_traced(log_format=fmt)
        capsys.readouterr()
        await post(traced.client, request("calc.add", [1, 2]), **{"X-Request-ID": f"req-{fmt}"})
        await traced.client.close()  # writes the pending lines
        [line] = [line for line in capsys.readouterr().err.splitlines() if f"req-{fmt}" in line]
        [span] = traced.spans()
        trace_id, _ = hex_ids(span)
        assert attributes(span)["rpc_hub.request_id"] == f"req-{fmt}"
        if fmt == "json":
            assert orjson.loads(line)["trace_id"] == trace_id
        else:
            assert re.search(rf"request_id=req-text trace_id={trace_id} ", line)


@pytest.fixture
def configure_logs() -> Iterator[Callable[[logs.Format], io.StringIO]]:
    """Send the process's log lines to a fresh stream; put its handlers back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level

    def configure(fmt: logs.Format) -> io.StringIO:
        stream = io.StringIO()
        logs.configure(fmt, "info", stream)
        return stream

    yield configure
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_log_lines_inside_a_call_name_its_trace(
    traced: Traced, configure_logs: Callable[[logs.Format], io.StringIO], fmt: logs.Format
) -> None:
    stream = configure_logs(fmt)
    await post(traced.client, request("probe.boom"))  # logged: unhandled error in probe.boom
    logging.getLogger("app.test").info("outside any call")
    [span] = traced.spans()
    trace_id, _ = hex_ids(span)
    lines = stream.getvalue().splitlines()
    [inside] = [line for line in lines if "unhandled error in probe.boom" in line]
    [outside] = [line for line in lines if "outside any call" in line]
    if fmt == "json":
        assert orjson.loads(inside)["trace_id"] == trace_id
        assert "trace_id" not in orjson.loads(outside)
    else:
        assert inside.endswith(f" trace_id={trace_id}")
        assert "trace_id" not in outside


async def test_the_worker_span_links_to_the_submit(traced: Traced) -> None:
    _, submitted = await post(
        traced.client,
        request("tasks.submit", {"type": "compute", "payload": {"op": "add", "a": 2, "b": 3}}),
        traceparent=TRACEPARENT,
    )
    task_id = submitted["result"]["task_id"]
    [submit] = traced.named("tasks.submit")
    worker_tracer, worker_spans = in_memory()
    errors = [LeaseLost, TaskNotFound, WorkerNotFound]
    async with RpcClient(str(traced.client.make_url("/rpc")), errors=errors) as rpc:
        worker = Worker(rpc, BUILTIN, Options(types=("compute",), grace_s=1), worker_tracer)
        running = asyncio.create_task(worker.run())
        _, got = await post(traced.client, request("tasks.get", {"task_id": task_id, "wait_s": 10}))
        worker.stop()
        await running
    assert got["result"]["state"] == "succeeded"
    [span] = worker_spans.get_finished_spans()
    assert (span.name, span.kind, span.parent) == ("process default", SpanKind.CONSUMER, None)
    assert attributes(span)["messaging.message.id"] == task_id
    [link] = span.links
    assert (link.context.trace_id, link.context.span_id) == (
        submit.context.trace_id,
        submit.context.span_id,
    )
    assert f"{link.context.trace_id:032x}" == TRACE_ID  # the caller's trace, through the queue


async def test_a_worker_span_without_a_submit_context_has_no_link() -> None:
    from app.observe.task_spans import execution

    tracer, exporter = in_memory()
    task = {"task_id": "t_1", "type": "compute", "queue": "default", "attempt": 1}
    for traceparent in (None, "garbage"):
        with execution(tracer, {**task, "traceparent": traceparent}):
            pass
    assert [list(span.links) for span in exporter.get_finished_spans()] == [[], []]


async def test_the_dispatcher_is_the_plain_one_unless_asked(make_traced: MakeTraced) -> None:
    plain = create_app(Settings())
    assert type(plain[DISPATCHER]) is Dispatcher
    assert type(create_app(Settings(log_params=True))[DISPATCHER]) is ParamsDispatcher
    assert type((await make_traced()).client.app[DISPATCHER]) is TracedDispatcher
    with_params = await make_traced(log_params=True)
    assert type(with_params.client.app[DISPATCHER]) is TracedParamsDispatcher


async def claim_all(client: Client) -> Sequence[dict[str, Any]]:
    _, registered = await post(
        client,
        request(
            "workers.register",
            {"name": "w", "types": ["compute"], "queues": ["default"], "capacity": 10},
        ),
    )
    worker = registered["result"]
    _, claimed = await post(
        client,
        request(
            "tasks.claim",
            {
                "worker_id": worker["worker_id"],
                "worker_token": worker["worker_token"],
                "max_tasks": 10,
            },
        ),
    )
    tasks: list[dict[str, Any]] = claimed["result"]
    return tasks
