"""Bytes in, bytes out: the JSON-RPC 2.0 engine.

A request body becomes at most one response body. Each call goes through the same steps:
check the envelope, find the method, check its scope, bind params, run the handler, and
answer with its result or its error. What can be prepared is prepared once per method
(binders, injected stores, whether params need a depth check), so the per-call path does
little else.

Handlers are stepped eagerly (see ``eager.py``): only one that actually suspends is given a
timeout. In a batch, the items after the first one that suspends each run in a task of
their own, at most ``batch_concurrency`` at once, and answers keep the request order. A
batch whose items all finish inline yields the loop every ``_TURN_S``, so a batch of heavy
calls delays other requests by one turn, not by the whole batch.

Every call is charged to its caller's rate limit before any of them runs (see meter.py).

Responses are serialized in one ``orjson.dumps``; only if that fails (a result JSON cannot
carry) are the answers encoded one by one to find and replace the culprits.

Traces and params in the call log cost this class nothing: the subclasses in ``app/observe/``
that add them wrap ``dispatch``, ``_batch``, ``_start`` and ``_finish``, and rely on
``_start`` appending the record of a call it answers (or handing back the ``_Waiting`` that
holds it) before it returns.
"""

from __future__ import annotations

import asyncio
import difflib
import itertools
import logging
import math
import uuid
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from time import perf_counter
from types import MappingProxyType
from typing import Any

from app.limits.store import RateLimitStore
from app.rpc.access import ANONYMOUS, Principal
from app.rpc.codec import OUT_OF_RANGE, BigInt, big_ints, decode, deeper_than, encode
from app.rpc.context import CallContext
from app.rpc.eager import Suspended
from app.rpc.errors import (
    BatchTooLarge,
    CallTimeout,
    InternalError,
    InvalidParams,
    InvalidRequest,
    MethodNotFound,
    RPCError,
    TooDeeplyNested,
)
from app.rpc.meter import PRECHECK_BYTES, Meter
from app.rpc.namespace import Method
from app.rpc.params import Binder
from app.rpc.registry import Entry, Registry
from app.rpc.session import Stream

log = logging.getLogger("app.rpc")

Response = dict[str, Any] | None
"""A response object, or None for a notification."""

_ABSENT: Any = object()
_NO_HEADERS: Mapping[str, str] = MappingProxyType({})
_ECHO_LIMIT = 100
"""Longest unknown method name echoed back whole."""
_TURN_S = 0.002
"""How long a batch runs its items inline before it lets other requests have the loop."""
_NO_METHOD = "-"
"""The method recorded for a request object too malformed to name one."""


@dataclass(slots=True)
class CallRecord:
    """One call: whom to answer while it runs, then what it came to, for the call log."""

    method: str
    started: float
    id: Any = None
    notification: bool = False
    duration_s: float = 0.0
    code: int | None = None
    """The JSON-RPC error code, or None for success."""
    response: Response = None
    """The answer sent, so one that cannot be encoded can be replaced in place."""
    params: Any = None
    """Kept only where the call log shows params (``app.observe.call_params``)."""


CallRecorder = Callable[[str, list[CallRecord], Principal], None]
"""Called once per request body with its request id, a record per call, and the caller."""


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

    bind: Callable[[Any], tuple[tuple[Any, ...], dict[str, Any]]]
    func: Callable[..., Coroutine[Any, Any, Any]]
    prefix: tuple[Any, ...]
    """The injected leading arguments (stores; None where the call context goes)."""
    context_index: int | None
    timeout_s: float
    check_depth: bool
    binder: Binder
    scope: str | None
    deprecated: str
    """Empty, or what the warning logged for each call says to do instead."""


@dataclass(slots=True)
class _Request:
    """One request body's facts, shared by each of its calls."""

    id: str
    headers: Mapping[str, str]
    principal: Principal
    records: list[CallRecord]
    rate_key: str
    stream: Stream | None
    big_ints: bool = False
    """Whether the body holds integers beyond 64 bits (``BigInt``), which params may not."""


@dataclass(slots=True)
class _Waiting:
    """A call whose handler suspended: finished later, under its time limit."""

    call: CallRecord
    handler: Suspended[Any]
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
        self.started = dict.fromkeys(self._targets, 0)
        """Calls whose handler began, by method: what the metrics call ``started``."""
        limiter = resources.get(RateLimitStore)
        self._meter = (
            Meter(limiter, {entry.name: entry.declared.cost for entry in registry})
            if isinstance(limiter, RateLimitStore) and limiter.rate
            else None
        )

    def _target(self, entry: Entry, resources: Mapping[type, object]) -> _Target:
        kinds = list(entry.binder.injected.values())
        return _Target(
            bind=entry.binder.bind,
            func=entry.func,
            prefix=tuple(None if kind is CallContext else resources[kind] for kind in kinds),
            context_index=kinds.index(CallContext) if CallContext in kinds else None,
            timeout_s=entry.declared.timeout_s or self._limits.call_timeout_s,
            check_depth=entry.binder.nesting > self._params_depth,
            binder=entry.binder,
            scope=entry.scope,
            deprecated=_deprecation(entry.declared),
        )

    async def dispatch(
        self,
        body: bytes,
        request_id: str,
        headers: Mapping[str, str] = _NO_HEADERS,
        principal: Principal = ANONYMOUS,
        rate_key: str | None = None,
        stream: Stream | None = None,
    ) -> bytes | None:
        """Answer one request body; None means "send nothing" (notifications only).

        ``headers`` and ``principal`` reach handlers that ask for a CallContext. Every call
        is charged to ``rate_key`` (default: the principal's id); raise ``Throttled`` if
        none of them fits. ``stream`` is the connection, when it can carry notifications.
        """
        request = _Request(request_id, headers, principal, [], rate_key or principal.id, stream)
        if self._meter is not None and len(body) > PRECHECK_BYTES:
            await self._meter.precheck(request.rate_key, len(body))
        started = perf_counter()
        try:
            doc, request.big_ints = decode(body, self._limits.max_depth)
        except RPCError as exc:
            response: Any = self._refuse(None, exc, started, request)
        else:
            if type(doc) is list:
                response = await self._batch(doc, started, request, len(body))
            else:
                if self._meter is not None:
                    await self._meter.charge(request.rate_key, [doc], len(body))
                response = self._start(doc, started, request)
                if isinstance(response, _Waiting):
                    response = await self._finish(response, request)
        out = None if response is None else self._serialize(response, request)
        self._on_calls(request_id, request.records, principal)
        return out

    async def _batch(self, docs: list[Any], started: float, request: _Request, size: int) -> Any:
        if not docs:
            error = _invalid("a batch must hold at least one request")
            return self._refuse(None, error, started, request)
        if len(docs) > self._limits.max_batch:
            error = BatchTooLarge(data={"limit": self._limits.max_batch, "received": len(docs)})
            return self._refuse(None, error, started, request)
        refusal: RPCError | None = None
        refused: list[Any] = []
        if self._meter is not None:
            allowed, refusal = await self._meter.charge(request.rate_key, docs, size)
            if refusal is not None:
                docs, refused = docs[:allowed], docs[allowed:]
        responses: list[dict[str, Any]] = []  # notifications get no answer
        turn_ends = perf_counter() + _TURN_S
        for index, doc in enumerate(docs):
            started = perf_counter()
            if started > turn_ends:  # this batch has held the loop long enough: let others in
                await asyncio.sleep(0)
                started = perf_counter()
                turn_ends = started + _TURN_S
            response = self._start(doc, started, request)
            if isinstance(response, _Waiting):
                rest = await self._finish_batch(response, docs[index + 1 :], request)
                responses += [answer for answer in rest if answer is not None]
                break
            if response is not None:
                responses.append(response)
        for doc in refused:  # past the caller's allowance: answered, never run
            answer = self._start(doc, perf_counter(), request, refusal)
            if isinstance(answer, dict):
                responses.append(answer)
        return responses or None

    async def _finish_batch(
        self, first: _Waiting, docs: list[Any], request: _Request
    ) -> list[Response]:
        """Finish a batch from its first call that suspended, and run the items after it.

        That call's first step ran in the request's own task, where it may have bound
        task-scoped state (``asyncio.timeout``, a ``TaskGroup``), so it finishes in this task.
        Each later item runs in a task of its own from its first step on; at most
        ``batch_concurrency`` items are in flight together.
        """
        slots = asyncio.Semaphore(self._limits.batch_concurrency - 1)
        tasks = [asyncio.create_task(self._run(doc, request, slots)) for doc in docs]
        try:
            response = await self._finish(first, request)
            slots.release()
            if tasks:
                await asyncio.wait(tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            raise
        return [response, *(task.result() for task in tasks)]

    async def _run(self, doc: Any, request: _Request, slots: asyncio.Semaphore) -> Response:
        """One batch item, start to end, in its own task once a slot is free."""
        async with slots:
            response = self._start(doc, perf_counter(), request)
            if isinstance(response, _Waiting):
                return await self._finish(response, request)
            return response

    def _start(
        self, doc: Any, started: float, request: _Request, refusal: RPCError | None = None
    ) -> Response | _Waiting:
        """Validate and begin one call; answer it here unless its handler suspends.

        With ``refusal``, a valid call is answered with that error instead of running.
        """
        if type(doc) is not dict:
            error = _invalid("expected a JSON-RPC request object")
            return self._refuse(None, error, started, request)
        id_ = doc.get("id", _ABSENT)
        notification = id_ is _ABSENT
        if notification:
            id_ = None
        elif id_ is not None and type(id_) not in (str, int, float):
            problem = (
                f'"id" is an integer {OUT_OF_RANGE}'
                if type(id_) is BigInt
                else '"id" must be a string, a number or null'
            )
            return self._refuse(None, _invalid(problem), started, request)
        if doc.get("jsonrpc") != "2.0":
            return self._refuse(id_, _invalid('"jsonrpc" must be exactly "2.0"'), started, request)
        name = doc.get("method")
        if type(name) is not str:
            return self._refuse(id_, _invalid('"method" must be a string'), started, request)
        params = doc.get("params", _ABSENT)
        if params is _ABSENT:
            params = None
        elif type(params) is not list and type(params) is not dict:
            error = _invalid('"params" must be an array or an object, or left out')
            return self._refuse(id_, error, started, request)

        call = CallRecord(name, started, id_, notification)
        if refusal is not None:
            # Not raised: one error answers many calls, and raising it from this frame each
            # time would tie it to the frame in a cycle only the garbage collector breaks.
            return self._fail(call, refusal, request)
        target = self._targets.get(name)
        try:
            if target is None:
                raise self._not_found(name)
            if target.scope is not None:
                request.principal.check(target.scope)
            if (
                target.check_depth
                and params is not None
                and deeper_than(params, self._params_depth)
            ):
                raise TooDeeplyNested(data={"limit": self._limits.max_depth})
            if target.deprecated:
                log.warning(
                    "deprecated method %s called (request %s): %s",
                    name,
                    request.id,
                    target.deprecated,
                )
            if request.big_ints and params is not None:
                _refuse_big_ints(target.binder, params)
            args, kwargs = target.bind(params)
            prefix = target.prefix
            if target.context_index is not None:
                prefix = _with_context(prefix, target.context_index, call, request)
            self.started[name] += 1
            handler = target.func(*prefix, *args, **kwargs)
            # Its first step, inline: most handlers finish here (see eager.py).
            suspended = Suspended(handler, handler.send(None))
        except StopIteration as stop:
            return self._succeed(call, stop.value, request)
        except Exception as exc:
            return self._fail(call, exc, request)
        return _Waiting(call, suspended, target.timeout_s)

    async def _finish(self, waiting: _Waiting, request: _Request) -> Response:
        """Drive a suspended handler to its end, within the call's time limit."""
        call = waiting.call
        deadline = asyncio.timeout(waiting.timeout_s)
        try:
            async with deadline:
                result = await waiting.handler
        except TimeoutError as exc:
            # Only our own deadline means -32004; a TimeoutError from the handler is its own.
            failure: Exception = exc
            if deadline.expired():
                failure = CallTimeout(data={"timeout_s": waiting.timeout_s})
            return self._fail(call, failure, request)
        except Exception as exc:
            return self._fail(call, exc, request)
        return self._succeed(call, result, request)

    def _succeed(self, call: CallRecord, result: Any, request: _Request) -> Response:
        if type(result) is float and not math.isfinite(result):
            return self._fail(call, ValueError("non-finite float result"), request)
        call.duration_s = perf_counter() - call.started
        if not call.notification:
            call.response = {"jsonrpc": "2.0", "result": result, "id": call.id}
        request.records.append(call)
        return call.response

    def _fail(self, call: CallRecord, exc: Exception, request: _Request) -> Response:
        error = exc if isinstance(exc, RPCError) else self._internal(call.method, request, exc)
        call.duration_s = perf_counter() - call.started
        call.code = error.code
        request.records.append(call)
        if not call.notification:
            call.response = {"jsonrpc": "2.0", "error": error.to_error(), "id": call.id}
        return call.response

    def _refuse(self, id_: Any, error: RPCError, started: float, request: _Request) -> Response:
        """Answer an invalid request object; these are answered even without an id."""
        duration_s = perf_counter() - started
        request.records.append(CallRecord(_NO_METHOD, started, id_, False, duration_s, error.code))
        return {"jsonrpc": "2.0", "error": error.to_error(), "id": id_}

    def _serialize(self, response: Any, request: _Request) -> bytes:
        try:
            return encode(response)
        except (TypeError, ValueError):
            pass
        # Some result (or a handler's error data) cannot be sent exactly: turn just those
        # answers into -32603, in place.
        for record in request.records:
            answer = record.response
            if answer is None:
                continue
            try:
                encode(answer)
            except (TypeError, ValueError) as exc:
                error = self._internal(record.method, request, exc)
                answer.pop("result", None)
                answer["error"] = error.to_error()
                answer["id"] = answer.pop("id")  # keeps the usual member order
                record.code = error.code
        return encode(response)

    def _internal(self, method: str, request: _Request, exc: BaseException) -> InternalError:
        correlation_id = uuid.uuid4().hex
        log.error(
            "unhandled error in %s (request %s, correlation %s)",
            method,
            request.id,
            correlation_id,
            exc_info=exc,
        )
        return InternalError(data={"correlation_id": correlation_id})

    def _not_found(self, name: str) -> MethodNotFound:
        if len(name) > _ECHO_LIMIT:  # a stranger's name: echo a little, and search nothing
            return MethodNotFound(data={"method": name[:_ECHO_LIMIT] + "…", "truncated": True})
        data: dict[str, Any] = {"method": name}
        close = difflib.get_close_matches(name, self._names, n=3, cutoff=0.8)
        if close:
            data["did_you_mean"] = close
        return MethodNotFound(data=data)


def _invalid(problem: str) -> InvalidRequest:
    return InvalidRequest(data={"problem": problem})


_BIG_INTS_LISTED = 10
"""At most this many big integers are listed in one -32602: a body can hold thousands."""


def _refuse_big_ints(binder: Binder, params: list[Any] | dict[str, Any]) -> None:
    """Raise -32602 naming each integer in ``params`` beyond 64 bits, if there are any."""
    found = list(itertools.islice(big_ints(params), _BIG_INTS_LISTED))
    if found:
        problem = f"Integer {OUT_OF_RANGE}"
        raise InvalidParams(
            data=[
                binder.problem_at(path, problem, "int_out_of_range", value) for path, value in found
            ]
        )


def _deprecation(method: Method) -> str:
    """What the warning for each call of `method` advises; empty if it is not deprecated."""
    if not method.deprecated:
        return ""
    return f"use {method.replaced_by} instead" if method.replaced_by else "no replacement is named"


def _with_context(
    prefix: tuple[Any, ...], index: int, call: CallRecord, request: _Request
) -> tuple[Any, ...]:
    """The injected arguments, with this call's context where the handler asks for it."""
    context = CallContext(
        request.id, call.method, request.headers, request.principal, request.stream
    )
    return (*prefix[:index], context, *prefix[index + 1 :])
