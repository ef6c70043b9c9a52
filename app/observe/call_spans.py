"""A span for every JSON-RPC call, in OpenTelemetry's JSON-RPC semantic conventions (1.39+).

Each request body gets one SERVER span, child of the W3C ``traceparent`` its headers carry
(over WebSocket, the upgrade's, so a session's frames share its trace). For a single call that
span is the call's, named by the method; for a batch it is ``jsonrpc batch`` with
``rpc.batch.size``, and each item is a SERVER span under it. A call's span is current while its
handler runs, so whatever the handler starts (a submitted task) records it; and while the call
log takes the request's records, so its lines carry the trace id.

Attributes: ``rpc.system.name`` "jsonrpc"; ``rpc.method``, ``_OTHER`` for a name nobody
registered (then ``rpc.method_original``, cut to 100 characters); ``jsonrpc.protocol.version``;
``jsonrpc.request.id``; on an error ``rpc.response.status_code`` and ``error.type``, both the
code as a string, and the status ERROR. The request's span also has ``rpc_hub.request_id``
(the X-Request-ID the call log shows) and ``rpc_hub.principal`` (a key's name). Spans end
after the response is encoded, so each shows the code the client got; an item's end is its
own call's.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from time import time_ns
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer, set_span_in_context

from app.observe.call_params import ParamsDispatcher
from app.rpc.access import ANONYMOUS, Principal
from app.rpc.dispatch import (
    _NO_HEADERS,
    _NO_METHOD,
    CallRecord,
    CallRecorder,
    Dispatcher,
    Limits,
    Response,
    _Request,
    _Waiting,
)
from app.rpc.errors import RPCError
from app.rpc.meter import Throttled
from app.rpc.registry import Registry
from app.rpc.session import Stream

SYSTEM = "jsonrpc"
"""``rpc.system.name``, and the name of a span whose method is unknown."""
BATCH = "jsonrpc batch"
OTHER = "_OTHER"
_ORIGINAL_LIMIT = 100
_ROOT_ATTRIBUTES = {"rpc.system.name": SYSTEM}


@dataclass(slots=True)
class _Item:
    span: Span
    call: CallRecord
    start_ns: int


@dataclass(slots=True)
class _Trace:
    """One request body's spans."""

    root: Span
    batch: bool = False
    items: list[_Item] = field(default_factory=list)
    waiting: dict[int, Span] = field(default_factory=dict)
    """Items whose handler suspended and has not finished, by the id of their record."""
    records: list[CallRecord] | None = None
    """Every record of the request, once it was answered."""


_TRACE: ContextVar[_Trace] = ContextVar("rpc_trace")


class TracedDispatcher(Dispatcher):
    def __init__(
        self,
        registry: Registry,
        limits: Limits,
        resources: Mapping[type, object],
        on_calls: CallRecorder,
        tracer: Tracer,
    ) -> None:
        self._recorder = on_calls
        super().__init__(registry, limits, resources, self._recorded)
        self._tracer = tracer

    async def dispatch(
        self,
        body: bytes,
        request_id: str,
        headers: Mapping[str, str] = _NO_HEADERS,
        principal: Principal = ANONYMOUS,
        rate_key: str | None = None,
        stream: Stream | None = None,
    ) -> bytes | None:
        parent = propagate.extract(headers, context=otel_context.get_current())
        attributes = {
            **_ROOT_ATTRIBUTES,
            "rpc_hub.request_id": request_id,
            "rpc_hub.principal": principal.name,
        }
        root = self._tracer.start_span(
            SYSTEM, context=parent, kind=SpanKind.SERVER, attributes=attributes
        )
        trace = _Trace(root)
        reset = _TRACE.set(trace)
        token = otel_context.attach(set_span_in_context(root, parent))
        failure: BaseException | None = None
        try:
            return await super().dispatch(body, request_id, headers, principal, rate_key, stream)
        except BaseException as exc:
            failure = exc
            raise
        finally:
            otel_context.detach(token)
            _TRACE.reset(reset)
            self._end(trace, failure)

    async def _batch(self, docs: list[Any], started: float, request: _Request, size: int) -> Any:
        trace = _TRACE.get()
        trace.batch = True
        trace.root.update_name(BATCH)
        trace.root.set_attribute("rpc.batch.size", len(docs))
        return await super()._batch(docs, started, request, size)

    def _start(
        self, doc: Any, started: float, request: _Request, refusal: RPCError | None = None
    ) -> Response | _Waiting:
        trace = _TRACE.get()
        if not trace.batch:  # a single call: the request's span is the call's
            return super()._start(doc, started, request, refusal)
        start_ns = time_ns()
        span = self._tracer.start_span(
            SYSTEM, kind=SpanKind.SERVER, attributes=_ROOT_ATTRIBUTES, start_time=start_ns
        )
        token = otel_context.attach(set_span_in_context(span))
        try:
            response = super()._start(doc, started, request, refusal)
        except BaseException as exc:
            _failed(span, exc)
            span.end()
            raise
        finally:
            otel_context.detach(token)
        if isinstance(response, _Waiting):
            call = response.call
            trace.waiting[id(call)] = span
        else:
            call = request.records[-1]
        trace.items.append(_Item(span, call, start_ns))
        return response

    async def _finish(self, waiting: _Waiting, request: _Request) -> Response:
        trace = _TRACE.get()
        span = trace.waiting.get(id(waiting.call))
        if span is None:
            return await super()._finish(waiting, request)
        token = otel_context.attach(set_span_in_context(span))
        try:
            response = await super()._finish(waiting, request)
        finally:
            otel_context.detach(token)
        del trace.waiting[id(waiting.call)]
        return response

    def _recorded(self, request_id: str, records: list[CallRecord], principal: Principal) -> None:
        _TRACE.get().records = records
        self._recorder(request_id, records, principal)

    def _end(self, trace: _Trace, failure: BaseException | None) -> None:
        for item in trace.items:
            if id(item.call) in trace.waiting:  # the request ended before this call did
                _failed(item.span, failure)
                item.span.end()
            else:
                self._describe(item.span, item.call)
                item.span.end(item.start_ns + int(item.call.duration_s * 1e9))
        root, records = trace.root, trace.records
        if failure is not None:
            _failed(root, failure)
        elif records and not trace.batch:
            self._describe(root, records[0])
        elif records and not trace.items and records[0].code is not None:
            _errored(root, str(records[0].code))  # a batch refused whole (empty, too large)
        root.end()

    def _describe(self, span: Span, call: CallRecord) -> None:
        """Name a call's span by its method, and add what the call came to."""
        method = call.method
        attributes: dict[str, str] = {}
        if method != _NO_METHOD:  # else a request object too malformed to name one
            attributes["jsonrpc.protocol.version"] = "2.0"
            if method in self._targets:
                span.update_name(method)
                attributes["rpc.method"] = method
            else:
                attributes["rpc.method"] = OTHER
                attributes["rpc.method_original"] = method[:_ORIGINAL_LIMIT]
        if call.id is not None:
            attributes["jsonrpc.request.id"] = str(call.id)
        span.set_attributes(attributes)
        if call.code is not None:
            _errored(span, str(call.code))


class TracedParamsDispatcher(TracedDispatcher, ParamsDispatcher):
    """Spans, and params kept for the call log."""


def _errored(span: Span, code: str) -> None:
    span.set_attributes({"rpc.response.status_code": code, "error.type": code})
    span.set_status(Status(StatusCode.ERROR))


def _failed(span: Span, failure: BaseException | None) -> None:
    """A span whose call had no answer: the request ended in ``failure`` first."""
    if isinstance(failure, Throttled):  # refused whole, with this code
        _errored(span, str(failure.error.code))
        return
    kind = OTHER if failure is None else f"{type(failure).__module__}.{type(failure).__qualname__}"
    span.set_attribute("error.type", kind)
    span.set_status(Status(StatusCode.ERROR))
