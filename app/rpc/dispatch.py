"""Bytes in, bytes out: the JSON-RPC 2.0 engine.

A request body becomes at most one response body. Each call goes through the same steps:
check the envelope, find the method, bind params, run the handler, encode the result or map
the error. Nothing in the per-call path is prepared twice: binders and injected resources
are built at registration.

Handlers are stepped eagerly: the coroutine is started inline, and only a handler that
actually suspends is given a timeout (and, inside a batch, a task). Most in-memory handlers
never suspend, so they cost neither.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import types
import uuid
from collections.abc import Callable, Coroutine, Generator, Mapping
from dataclasses import dataclass
from time import perf_counter
from typing import Any

import orjson

from app.rpc.codec import decode, encode
from app.rpc.context import CallContext
from app.rpc.errors import (
    BatchTooLarge,
    CallTimeout,
    InternalError,
    InvalidRequest,
    MethodNotFound,
    RPCError,
)
from app.rpc.registry import Entry, Registry

log = logging.getLogger("app.rpc")

CallRecorder = Callable[[str, str, float, int | None], None]
"""Called once per call with (request id, method, duration in seconds, error code or None)."""

_ABSENT: Any = object()
_NO_METHOD = "-"


@dataclass(frozen=True, slots=True)
class Limits:
    max_batch: int = 100
    max_depth: int = 32
    call_timeout_s: float = 10.0
    batch_concurrency: int = 16
    """How many items of one batch may be suspended (awaiting I/O) at once."""


@dataclass(slots=True)
class _Call:
    id: Any
    notification: bool
    method: str
    request_id: str
    started: float


@dataclass(frozen=True, slots=True)
class _Target:
    """An entry plus what the dispatcher adds to every call of it."""

    entry: Entry
    resources: dict[str, Any]
    timeout_s: float
    positional_call: bool


@dataclass(slots=True)
class _Suspended:
    call: _Call
    coro: Coroutine[Any, Any, Any]
    yielded: Any
    timeout_s: float


Response = dict[str, Any] | None
"""A response object, or None for a notification."""


class Dispatcher:
    def __init__(
        self,
        registry: Registry,
        limits: Limits,
        resources: Mapping[type, object],
        on_call: CallRecorder,
    ) -> None:
        self._limits = limits
        self._on_call = on_call
        self._names = registry.names
        self._targets = {
            entry.name: _Target(
                entry=entry,
                resources={
                    param: resources[kind]
                    for param, kind in entry.binder.injected.items()
                    if kind is not CallContext
                },
                timeout_s=entry.declared.timeout_s or limits.call_timeout_s,
                positional_call=bool(entry.binder.pass_positionally or entry.binder.var_positional),
            )
            for entry in registry
        }

    async def dispatch(
        self, body: bytes, request_id: str, token: str | None = None
    ) -> bytes | None:
        """Answer one HTTP request body; None means "send nothing" (notifications only).

        ``token`` is the caller's bearer credential, handed to handlers in their CallContext.
        """
        started = perf_counter()
        try:
            doc = decode(body, self._limits.max_depth)
        except RPCError as exc:
            return self._reject(exc, request_id, started)
        if type(doc) is list:
            return await self._batch(doc, request_id, token, started)
        response = self._start(doc, request_id, token, started)
        if isinstance(response, _Suspended):
            response = await self._finish(response)
        return None if response is None else orjson.dumps(response)

    async def _batch(
        self, docs: list[Any], request_id: str, token: str | None, started: float
    ) -> bytes | None:
        if not docs:
            return self._reject(
                _invalid("a batch must hold at least one request"), request_id, started
            )
        if len(docs) > self._limits.max_batch:
            error = BatchTooLarge(data={"limit": self._limits.max_batch, "received": len(docs)})
            return self._reject(error, request_id, started)
        responses: list[Response | asyncio.Task[Response]] = []
        running: set[asyncio.Task[Response]] = set()
        try:
            for doc in docs:
                # Bound before starting: an eager start may itself suspend.
                if len(running) >= self._limits.batch_concurrency:
                    _, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                response = self._start(doc, request_id, token, perf_counter())
                if isinstance(response, _Suspended):
                    task = asyncio.create_task(self._finish(response))
                    running.add(task)
                    responses.append(task)
                else:
                    responses.append(response)
            if running:
                await asyncio.wait(running)
        except BaseException:
            for item in responses:
                if isinstance(item, asyncio.Task):
                    item.cancel()
            raise
        out = [item.result() if isinstance(item, asyncio.Task) else item for item in responses]
        out = [item for item in out if item is not None]
        return orjson.dumps(out) if out else None

    def _start(
        self, doc: Any, request_id: str, token: str | None, started: float
    ) -> Response | _Suspended:
        """Validate and begin one call; finish it here unless the handler suspends."""
        if type(doc) is not dict:
            error = _invalid("expected a JSON-RPC request object")
            return self._refuse(None, error, request_id, started)
        id_ = doc.get("id", _ABSENT)
        notification = id_ is _ABSENT
        if notification:
            id_ = None
        elif id_ is not None and type(id_) not in (str, int, float):
            error = _invalid('"id" must be a string, a number or null')
            return self._refuse(None, error, request_id, started)
        if doc.get("jsonrpc") != "2.0":
            error = _invalid('"jsonrpc" must be exactly "2.0"')
            return self._refuse(id_, error, request_id, started)
        name = doc.get("method")
        if type(name) is not str:
            error = _invalid('"method" must be a string')
            return self._refuse(id_, error, request_id, started)
        params = doc.get("params", _ABSENT)
        if params is _ABSENT:
            params = None
        elif type(params) is not list and type(params) is not dict:
            error = _invalid('"params" must be an array or an object, or left out')
            return self._refuse(id_, error, request_id, started)

        call = _Call(id_, notification, name, request_id, started)
        target = self._targets.get(name)
        if target is None:
            return self._failure(call, self._not_found(name))
        entry = target.entry
        if entry.declared.deprecated:
            log.warning("deprecated method %s called (request %s)", name, request_id)
        try:
            values = entry.binder.bind(params)
            if target.resources:
                values.update(target.resources)
            if entry.context_param is not None:
                values[entry.context_param] = CallContext(request_id, name, token)
            if target.positional_call:
                args, kwargs = entry.binder.call_args(values)
                coro = entry.func(*args, **kwargs)
            else:
                coro = entry.func(**values)
            yielded = coro.send(None)
        except StopIteration as stop:
            return self._success(call, stop.value)
        except Exception as exc:
            return self._failure(call, exc)
        return _Suspended(call, coro, yielded, target.timeout_s)

    async def _finish(self, suspended: _Suspended) -> Response:
        """Drive a suspended handler to its end, within the call's time limit."""
        call = suspended.call
        deadline = asyncio.timeout(suspended.timeout_s)
        try:
            async with deadline:
                result = await _resume(suspended.coro, suspended.yielded)
        except TimeoutError as exc:
            if deadline.expired():
                return self._failure(call, CallTimeout(data={"timeout_s": suspended.timeout_s}))
            return self._failure(call, exc)
        except Exception as exc:
            return self._failure(call, exc)
        return self._success(call, result)

    def _success(self, call: _Call, result: Any) -> Response:
        if call.notification:
            self._on_call(call.request_id, call.method, perf_counter() - call.started, None)
            return None
        try:
            payload = orjson.Fragment(encode(result))
        except (TypeError, ValueError) as exc:
            return self._failure(call, exc)
        self._on_call(call.request_id, call.method, perf_counter() - call.started, None)
        return {"jsonrpc": "2.0", "result": payload, "id": call.id}

    def _failure(self, call: _Call, exc: Exception) -> Response:
        error = exc if isinstance(exc, RPCError) else self._internal(call, exc)
        try:
            body = orjson.Fragment(encode(error.to_error()))
        except (TypeError, ValueError) as encode_error:
            error = self._internal(call, encode_error)
            body = orjson.Fragment(encode(error.to_error()))
        self._on_call(call.request_id, call.method, perf_counter() - call.started, error.code)
        if call.notification:
            return None
        return {"jsonrpc": "2.0", "error": body, "id": call.id}

    def _refuse(self, id_: Any, error: RPCError, request_id: str, started: float) -> Response:
        """Answer an invalid request object; these are answered even without an id."""
        self._on_call(request_id, _NO_METHOD, perf_counter() - started, error.code)
        return {"jsonrpc": "2.0", "error": error.to_error(), "id": id_}

    def _reject(self, error: RPCError, request_id: str, started: float) -> bytes:
        """Answer a body that is refused as a whole (unparseable, empty or oversized batch)."""
        return orjson.dumps(self._refuse(None, error, request_id, started))

    def _internal(self, call: _Call, exc: BaseException) -> InternalError:
        correlation_id = uuid.uuid4().hex
        log.error(
            "unhandled error in %s (request %s, correlation %s)",
            call.method,
            call.request_id,
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
