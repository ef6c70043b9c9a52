"""Bytes in, bytes out: the JSON-RPC 2.0 engine.

A request body becomes at most one response body. Each call goes through the same steps:
check the envelope, find the method, bind params, run the handler, and answer with its
result or its error. What can be prepared is prepared once per method (binders, injected
resources, whether params need a depth check), so the per-call path does little else.

Handlers are stepped eagerly: the coroutine is started inline, and only a handler that
actually suspends is given a timeout. Most in-memory handlers never suspend, so they cost
nothing more. In a batch, the items after the first one that suspends each run in a task of
their own (see ``_finish_batch``).

Responses are serialized in one ``orjson.dumps``; only if that fails (a result JSON cannot
carry) are the responses encoded one by one to find and replace the culprits.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import math
import types
import uuid
from collections.abc import Callable, Coroutine, Generator, Mapping
from dataclasses import dataclass
from time import perf_counter
from types import MappingProxyType
from typing import Any

from app.rpc.codec import decode, deeper_than, encode
from app.rpc.context import CallContext
from app.rpc.errors import (
    BatchTooLarge,
    CallTimeout,
    InternalError,
    InvalidRequest,
    MethodNotFound,
    RPCError,
    TooDeeplyNested,
)
from app.rpc.registry import Entry, Registry

log = logging.getLogger("app.rpc")

CallRecord = tuple[str, float, int | None, Any]
"""(method, duration in seconds, error code or None, the response if it succeeded)."""
CallRecorder = Callable[[str, list[CallRecord]], None]
"""Called once per request body with its request id and a record per call."""

Response = dict[str, Any] | None
"""A response object, or None for a notification."""

_ABSENT: Any = object()
_NO_HEADERS: Mapping[str, str] = MappingProxyType({})
_NO_METHOD = "-"


@dataclass(frozen=True, slots=True)
class Limits:
    max_batch: int = 100
    max_depth: int = 32
    """Deepest nesting of a call's params, counting the request object as level 1."""
    call_timeout_s: float = 10.0
    batch_concurrency: int = 16
    """How many items of one batch may be suspended (awaiting I/O) at once."""


@dataclass(frozen=True, slots=True)
class _Target:
    """An entry plus what the dispatcher adds to every call of it."""

    entry: Entry
    bind: Callable[[Any], tuple[tuple[Any, ...], dict[str, Any]]]
    func: Callable[..., Coroutine[Any, Any, Any]]
    deprecated: bool
    prefix: tuple[Any, ...]
    """The injected leading arguments (store, settings; None where the context goes)."""
    context_index: int | None
    timeout_s: float
    check_depth: bool


@dataclass(slots=True)
class _Suspended:
    """A call whose handler awaited something: finished later, under its time limit."""

    id: Any
    notification: bool
    method: str
    request_id: str
    started: float
    coro: Coroutine[Any, Any, Any]
    yielded: Any
    timeout_s: float


class Dispatcher:
    def __init__(
        self,
        registry: Registry,
        limits: Limits,
        resources: Mapping[type, object],
        on_calls: CallRecorder,
    ) -> None:
        self._limits = limits
        self._on_calls = on_calls
        self._names = registry.names
        self._params_depth = limits.max_depth - 1
        self._targets = {entry.name: self._target(entry, resources) for entry in registry}

    def _target(self, entry: Entry, resources: Mapping[type, object]) -> _Target:
        kinds = list(entry.binder.injected.values())
        return _Target(
            entry=entry,
            bind=entry.binder.bind,
            func=entry.func,
            deprecated=entry.declared.deprecated,
            prefix=tuple(None if kind is CallContext else resources[kind] for kind in kinds),
            context_index=kinds.index(CallContext) if CallContext in kinds else None,
            timeout_s=entry.declared.timeout_s or self._limits.call_timeout_s,
            check_depth=entry.binder.nesting > self._params_depth,
        )

    async def dispatch(
        self, body: bytes, request_id: str, headers: Mapping[str, str] = _NO_HEADERS
    ) -> bytes | None:
        """Answer one HTTP request body; None means "send nothing" (notifications only).

        ``headers`` reach handlers that ask for a CallContext (credentials, for one).
        """
        records: list[CallRecord] = []
        started = perf_counter()
        try:
            doc = decode(body, self._limits.max_depth)
        except RPCError as exc:
            response: Any = self._refuse(None, exc, started, records)
        else:
            if type(doc) is list:
                response = await self._batch(doc, request_id, headers, started, records)
            else:
                response = self._start(doc, request_id, headers, started, records)
                if type(response) is _Suspended:
                    response = await self._finish(response, records)
        out = None if response is None else self._serialize(response, request_id, records)
        self._on_calls(request_id, records)
        return out

    async def _batch(
        self,
        docs: list[Any],
        request_id: str,
        headers: Mapping[str, str],
        started: float,
        records: list[CallRecord],
    ) -> Any:
        if not docs:
            return self._refuse(
                None, _invalid("a batch must hold at least one request"), started, records
            )
        if len(docs) > self._limits.max_batch:
            error = BatchTooLarge(data={"limit": self._limits.max_batch, "received": len(docs)})
            return self._refuse(None, error, started, records)
        responses: list[Response] = []
        for index, doc in enumerate(docs):
            response = self._start(doc, request_id, headers, perf_counter(), records)
            if isinstance(response, _Suspended):
                rest = docs[index + 1 :]
                responses += await self._finish_batch(response, rest, request_id, headers, records)
                break
            responses.append(response)
        return [item for item in responses if item is not None] or None

    async def _finish_batch(
        self,
        first: _Suspended,
        docs: list[Any],
        request_id: str,
        headers: Mapping[str, str],
        records: list[CallRecord],
    ) -> list[Response]:
        """Finish a batch from its first call that suspended, and run the items after it.

        That call's first step ran in the request's own task, where it may have bound
        task-scoped state (``asyncio.timeout``, a ``TaskGroup``), so it finishes in this task.
        Each later item runs in a task of its own from its first step on; at most
        ``batch_concurrency`` items are in flight together.
        """
        slots = asyncio.Semaphore(self._limits.batch_concurrency - 1)
        tasks = [
            asyncio.create_task(self._run(doc, request_id, headers, records, slots)) for doc in docs
        ]
        try:
            response = await self._finish(first, records)
            slots.release()
            if tasks:
                await asyncio.wait(tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            raise
        return [response, *(task.result() for task in tasks)]

    async def _run(
        self,
        doc: Any,
        request_id: str,
        headers: Mapping[str, str],
        records: list[CallRecord],
        slots: asyncio.Semaphore,
    ) -> Response:
        """One batch item, start to end, in its own task once a slot is free."""
        async with slots:
            response = self._start(doc, request_id, headers, perf_counter(), records)
            if isinstance(response, _Suspended):
                return await self._finish(response, records)
            return response

    def _start(
        self,
        doc: Any,
        request_id: str,
        headers: Mapping[str, str],
        started: float,
        records: list[CallRecord],
    ) -> Response | _Suspended:
        """Validate and begin one call; finish it here unless the handler suspends."""
        if type(doc) is not dict:
            return self._refuse(
                None, _invalid("expected a JSON-RPC request object"), started, records
            )
        id_ = doc.get("id", _ABSENT)
        notification = id_ is _ABSENT
        if notification:
            id_ = None
        elif id_ is not None and type(id_) not in (str, int, float):
            error = _invalid('"id" must be a string, a number or null')
            return self._refuse(None, error, started, records)
        if doc.get("jsonrpc") != "2.0":
            return self._refuse(id_, _invalid('"jsonrpc" must be exactly "2.0"'), started, records)
        name = doc.get("method")
        if type(name) is not str:
            return self._refuse(id_, _invalid('"method" must be a string'), started, records)
        params = doc.get("params", _ABSENT)
        if params is _ABSENT:
            params = None
        elif type(params) is not list and type(params) is not dict:
            error = _invalid('"params" must be an array or an object, or left out')
            return self._refuse(id_, error, started, records)

        target = self._targets.get(name)
        if target is None:
            return self._fail(
                id_, notification, name, request_id, started, self._not_found(name), records
            )
        if target.check_depth and params is not None and deeper_than(params, self._params_depth):
            error = TooDeeplyNested(data={"limit": self._limits.max_depth})
            return self._fail(id_, notification, name, request_id, started, error, records)
        if target.deprecated:
            log.warning("deprecated method %s called (request %s)", name, request_id)
        try:
            args, kwargs = target.bind(params)
            prefix = target.prefix
            if target.context_index is not None:
                context = CallContext(request_id, name, headers)
                prefix = (
                    *prefix[: target.context_index],
                    context,
                    *prefix[target.context_index + 1 :],
                )
            coro = target.func(*prefix, *args, **kwargs)
            yielded = coro.send(None)
        except StopIteration as stop:
            result = stop.value
            if type(result) is float and not math.isfinite(result):
                nan = ValueError("non-finite float result")
                return self._fail(id_, notification, name, request_id, started, nan, records)
            if notification:
                records.append((name, perf_counter() - started, None, None))
                return None
            response = {"jsonrpc": "2.0", "result": result, "id": id_}
            records.append((name, perf_counter() - started, None, response))
            return response
        except Exception as exc:
            return self._fail(id_, notification, name, request_id, started, exc, records)
        return _Suspended(
            id_, notification, name, request_id, started, coro, yielded, target.timeout_s
        )

    async def _finish(self, call: _Suspended, records: list[CallRecord]) -> Response:
        """Drive a suspended handler to its end, within the call's time limit."""
        deadline = asyncio.timeout(call.timeout_s)
        failure: Exception
        try:
            async with deadline:
                result = await _resume(call.coro, call.yielded)
        except TimeoutError as exc:
            failure = CallTimeout(data={"timeout_s": call.timeout_s}) if deadline.expired() else exc
        except Exception as exc:
            failure = exc
        else:
            if type(result) is not float or math.isfinite(result):
                response = (
                    None
                    if call.notification
                    else {"jsonrpc": "2.0", "result": result, "id": call.id}
                )
                records.append((call.method, perf_counter() - call.started, None, response))
                return response
            failure = ValueError("non-finite float result")
        return self._fail(
            call.id, call.notification, call.method, call.request_id, call.started, failure, records
        )

    def _fail(
        self,
        id_: Any,
        notification: bool,
        method: str,
        request_id: str,
        started: float,
        exc: Exception,
        records: list[CallRecord],
    ) -> Response:
        error = exc if isinstance(exc, RPCError) else self._internal(method, request_id, exc)
        records.append((method, perf_counter() - started, error.code, None))
        if notification:
            return None
        return {"jsonrpc": "2.0", "error": error.to_error(), "id": id_}

    def _refuse(
        self, id_: Any, error: RPCError, started: float, records: list[CallRecord]
    ) -> Response:
        """Answer an invalid request object; these are answered even without an id."""
        records.append((_NO_METHOD, perf_counter() - started, error.code, None))
        return {"jsonrpc": "2.0", "error": error.to_error(), "id": id_}

    def _serialize(self, response: Any, request_id: str, records: list[CallRecord]) -> bytes:
        try:
            return encode(response)
        except (TypeError, ValueError):
            pass
        # Some result cannot be sent exactly: replace just those answers with -32603.
        single = type(response) is dict
        responses = [response] if single else response
        for index, item in enumerate(responses):
            try:
                encode(item)
            except (TypeError, ValueError) as exc:
                position = next((i for i, r in enumerate(records) if r[3] is item), None)
                method = _NO_METHOD if position is None else records[position][0]
                error = self._internal(method, request_id, exc)
                if position is not None:
                    records[position] = (method, records[position][1], error.code, None)
                responses[index] = {"jsonrpc": "2.0", "error": error.to_error(), "id": item["id"]}
        return encode(responses[0] if single else responses)

    def _internal(self, method: str, request_id: str, exc: BaseException) -> InternalError:
        correlation_id = uuid.uuid4().hex
        log.error(
            "unhandled error in %s (request %s, correlation %s)",
            method,
            request_id,
            correlation_id,
            exc_info=exc,
        )
        return InternalError(data={"correlation_id": correlation_id})

    def _not_found(self, name: str) -> MethodNotFound:
        data: dict[str, Any] = {"method": name}
        close = difflib.get_close_matches(name, self._names, n=3, cutoff=0.8)
        if close:
            data["did_you_mean"] = close
        return MethodNotFound(data=data)


def _invalid(problem: str) -> InvalidRequest:
    return InvalidRequest(data={"problem": problem})


@types.coroutine
def _resume(coro: Coroutine[Any, Any, Any], yielded: Any) -> Generator[Any, Any, Any]:
    """Continue ``coro`` from where an eager first step left it, exactly as ``await`` would."""
    while True:
        try:
            sent = yield yielded
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:
            try:
                yielded = coro.throw(exc)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                yielded = coro.send(sent)
            except StopIteration as stop:
                return stop.value
