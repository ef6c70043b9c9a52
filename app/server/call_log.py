"""The call log: one lean line per call (request id, principal, method, duration, outcome).

It bypasses ``logging``: building a LogRecord costs more than a whole in-memory call. A
request leaves its calls' methods, durations and outcomes in columns of plain values, and
the lines are formatted and written together in the flush, in the same format as every
other log line.

A line never holds a result, nor params unless ``params`` is on (``--log-params``); even then
a method declared ``redact_values`` (``x-sensitive``), or a name nobody registered (a typo of
one that is), shows ``[redacted]``. With tracing on, each line also names its trace.
"""

from __future__ import annotations

import asyncio
import functools
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice, repeat
from operator import attrgetter, mul
from typing import Any, TextIO

import orjson

from app.logs import Format, timestamp
from app.observe.tracing import current_trace_id
from app.rpc.access import ANONYMOUS, Principal
from app.rpc.dispatch import CallRecord

REDACTED = "[redacted]"
PARAMS_LIMIT = 1024
"""Longest params shown, in bytes of JSON; longer ones are cut and end in "…"."""
_FIELD_LIMIT = 100
_QUOTED = " \"'="
"""Characters that make a text field quoted: a space could forge another field."""
_CHUNK_LINES = 1000
"""Lines written in one go: a whole flush's text (megabytes under load) cost three times more
to join and write than chunks of this size."""

_method = attrgetter("method")
_duration_s = attrgetter("duration_s")
_code = attrgetter("code")
_params = attrgetter("params")

_Row = tuple[str, Any, int | None, Any]
"""A call's method, duration (as a number, or as JSON), error code (None for success), params."""
_Request = tuple[float, str, str, str | None, int]
"""When, the request id, the principal's name, the trace id, and how many calls it made."""


class _Columns:
    """Each call's method, duration, error code (None for success) and params, in request
    order: a few long lists of shared values, which the garbage collector barely sees, where
    the records (holding each answer) or a tuple per call cost batches a twelfth of their
    time in collections."""

    __slots__ = ("codes", "durations", "methods", "params")

    def __init__(self) -> None:
        self.methods: list[str] = []
        self.durations: list[float] = []
        self.codes: list[int | None] = []
        self.params: list[Any] = []

    def add(self, records: Sequence[CallRecord], params: bool) -> None:
        if len(records) == 1:  # most requests are single calls: appending costs less
            call = records[0]
            self.methods.append(call.method)
            self.durations.append(call.duration_s)
            self.codes.append(call.code)
            if params:
                self.params.append(call.params)
            return
        self.methods.extend(map(_method, records))
        self.durations.extend(map(_duration_s, records))
        self.codes.extend(map(_code, records))
        if params:
            self.params.extend(map(_params, records))

    def rows(self, durations: Iterable[Any]) -> Iterator[_Row]:
        """(method, duration, code, params) of each call, the durations as given."""
        params: Iterable[Any] = self.params or repeat(None)
        return zip(self.methods, durations, self.codes, params, strict=False)  # params may repeat

    def clear(self) -> None:
        self.methods.clear()
        self.durations.clear()
        self.codes.clear()
        self.params.clear()


class _Outcomes(dict[int | None, str]):
    """The text of each outcome, made once per error code."""

    def __missing__(self, code: int | None) -> str:
        text = self[code] = "ok" if code is None else f"error code={code}"
        return text


class _JsonOutcomes(dict[int | None, str]):
    """The JSON members after the duration, up to the code, made once per error code."""

    def __missing__(self, code: int | None) -> str:
        outcome = "ok" if code is None else "error"
        text = self[code] = "," + orjson.dumps({"outcome": outcome, "code": code}).decode()[1:-1]
        return text


class CallLog:
    """Writes one line per call. A request leaves plain values only (see ``_Columns``), which
    are formatted and written together at most ``FLUSH_INTERVAL_S`` later: one write for
    many requests, which the benchmark showed costs less than one each. ``flush()`` also
    runs at shutdown."""

    FLUSH_INTERVAL_S = 0.05

    def __init__(
        self,
        fmt: Format,
        stream: TextIO | None = None,
        methods: Iterable[str] = (),
        *,
        params: bool = False,
        sensitive: Iterable[str] = (),
        trace_ids: bool = False,
    ) -> None:
        self._json = fmt == "json"
        self._stream = stream
        self._requests: list[_Request] = []
        self._calls = _Columns()
        # Registered names are safe to show as they are; only other names need a look.
        self._shown = {method: method for method in methods}
        self._json_names = {
            method: orjson.dumps(method[:_FIELD_LIMIT]).decode() for method in self._shown
        }
        self._outcomes = _Outcomes()
        self._json_outcomes = _JsonOutcomes()
        self._params = params
        self._open = frozenset(self._shown) - frozenset(sensitive)
        """The methods whose params a line may show."""
        self._trace_ids = trace_ids

    def __call__(
        self, request_id: str, records: Sequence[CallRecord], principal: Principal = ANONYMOUS
    ) -> None:
        if not self._requests:
            asyncio.get_running_loop().call_later(self.FLUSH_INTERVAL_S, self.flush)
        trace_id = current_trace_id() if self._trace_ids else None
        self._requests.append((time.time(), request_id, principal.name, trace_id, len(records)))
        self._calls.add(records, self._params)

    def flush(self) -> None:
        if not self._requests:
            return
        stream = self._stream or sys.stderr  # looked up now: stderr may have been redirected
        if self._json:
            lines, rows = self._json_lines, self._calls.rows(_json_durations(self._calls))
        else:
            lines, rows = self._text_lines, self._calls.rows(self._calls.durations)
        out: list[str] = []
        last_ms, stamp = -1, ""
        for when, request_id, principal, trace_id, count in self._requests:
            ms = int(when * 1000)
            if ms != last_ms:  # under load, many requests share a millisecond
                last_ms, stamp = ms, timestamp(when)
            lines(out, stamp, request_id, principal, trace_id, islice(rows, count))
            if len(out) >= _CHUNK_LINES:
                stream.write("\n".join(out) + "\n")
                out.clear()
        self._requests.clear()
        self._calls.clear()
        if out:
            stream.write("\n".join(out) + "\n")
        stream.flush()

    def _text_lines(
        self,
        out: list[str],
        stamp: str,
        request_id: str,
        principal: str,
        trace_id: str | None,
        rows: Iterable[_Row],
    ) -> None:
        # The shared start of a request's lines is built once: this loop runs per call.
        trace = "" if trace_id is None else f" trace_id={trace_id}"
        head = (
            f"{stamp} INFO rpc.call request_id={request_id}{trace} "
            f"principal={_principal_field(principal)} method="
        )
        shown, outcomes = self._shown, self._outcomes
        if self._params:
            for method, duration_s, code, params in rows:
                out.append(
                    f"{head}{shown.get(method) or _field(method)} "
                    f"duration_ms={duration_s * 1000:.3f} outcome={outcomes[code]} "
                    f"params={self._text_params(method, params)}"
                )
            return
        for method, duration_s, code, _ in rows:
            out.append(
                f"{head}{shown.get(method) or _field(method)} "
                f"duration_ms={duration_s * 1000:.3f} outcome={outcomes[code]}"
            )

    def _json_lines(
        self,
        out: list[str],
        stamp: str,
        request_id: str,
        principal: str,
        trace_id: str | None,
        rows: Iterable[_Row],
    ) -> None:
        # Each line is the JSON object {ts, level, logger, request_id, principal, method,
        # duration_ms, outcome, code[, trace_id][, params]}, put together from pieces orjson
        # wrote: the request's shared start once, each name and outcome once, and every
        # duration in the flush in one call (see _json_durations).
        head = (
            f'{{"ts":"{stamp}","level":"info","logger":"rpc.call",'
            f'"request_id":{orjson.dumps(request_id).decode()},'
            f'"principal":{_principal_json(principal)},"method":'
        )
        trace = "" if trace_id is None else f',"trace_id":{orjson.dumps(trace_id).decode()}'
        names, outcomes = self._json_names, self._json_outcomes
        if self._params:
            for method, duration, code, params in rows:
                name = names.get(method) or orjson.dumps(method[:_FIELD_LIMIT]).decode()
                out.append(
                    f'{head}{name},"duration_ms":{duration}{outcomes[code]}{trace},'
                    f'"params":{self._json_params(method, params)}}}'
                )
            return
        for method, duration, code, _ in rows:
            name = names.get(method) or orjson.dumps(method[:_FIELD_LIMIT]).decode()
            out.append(f'{head}{name},"duration_ms":{duration}{outcomes[code]}{trace}}}')

    def _text_params(self, method: str, params: Any) -> str:
        if method not in self._open:
            return REDACTED
        raw = orjson.dumps(params, default=str)
        return _field(_cut(raw) if len(raw) > PARAMS_LIMIT else raw.decode(), PARAMS_LIMIT + 1)

    def _json_params(self, method: str, params: Any) -> str:
        """The params as a JSON value: the call's own, or a string saying what was left out."""
        if method not in self._open:
            return _JSON_REDACTED
        raw = orjson.dumps(params, default=str)
        return orjson.dumps(_cut(raw)).decode() if len(raw) > PARAMS_LIMIT else raw.decode()


_JSON_REDACTED = orjson.dumps(REDACTED).decode()


def _json_durations(calls: _Columns) -> list[str]:
    """Each call's duration in milliseconds to 3 places, as orjson writes the number: all of
    them in one call, split at the commas (a JSON number never holds one)."""
    durations_ms = map(round, map(mul, calls.durations, repeat(1000)), repeat(3))
    return orjson.dumps(list(durations_ms)).decode()[1:-1].split(",")


def _field(value: str, limit: int = _FIELD_LIMIT) -> str:
    """Client input as a text field: quoted (and cut) when it could break or forge fields."""
    if len(value) <= limit and value.isprintable() and not any(c in value for c in _QUOTED):
        return value
    return repr(value[:limit])


@functools.lru_cache(maxsize=256)
def _principal_field(name: str) -> str:
    """Principals are few (anonymous, and the keys' names): each is checked once."""
    return _field(name)


@functools.lru_cache(maxsize=256)
def _principal_json(name: str) -> str:
    return orjson.dumps(name[:_FIELD_LIMIT]).decode()


def _cut(raw: bytes) -> str:
    return raw[:PARAMS_LIMIT].decode(errors="ignore") + "…"
