"""The call log: one lean line per call (request id, principal, method, duration, outcome).

It bypasses ``logging``: building a LogRecord costs more than a whole in-memory call. Lines
are collected and written together, in the same format as every other log line.

A line never holds a result, nor params unless ``params`` is on (``--log-params``); even then
a method declared ``redact_values`` (``x-sensitive``), or a name nobody registered (a typo of
one that is), shows ``[redacted]``. With tracing on, each line also names its trace.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterable, Sequence
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

_Pending = tuple[float, str, str, str | None, Sequence[CallRecord]]
"""When, the request id, the principal's name, the trace id, and the request's records."""


class CallLog:
    """Writes one line per call. Records are collected and written together at most
    ``FLUSH_INTERVAL_S`` later: one write for many requests instead of one each, which the
    benchmark showed costs more than the whole call. ``flush()`` also runs at shutdown."""

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
        self._pending: list[_Pending] = []
        # Registered names are safe to show as they are; only other names need a look.
        self._shown = {method: method for method in methods}
        self._params = params
        self._open = frozenset(self._shown) - frozenset(sensitive)
        """The methods whose params a line may show."""
        self._trace_ids = trace_ids

    def __call__(
        self, request_id: str, records: Sequence[CallRecord], principal: Principal = ANONYMOUS
    ) -> None:
        if not self._pending:
            asyncio.get_running_loop().call_later(self.FLUSH_INTERVAL_S, self.flush)
        trace_id = current_trace_id() if self._trace_ids else None
        self._pending.append((time.time(), request_id, principal.name, trace_id, records))

    def flush(self) -> None:
        if not self._pending:
            return
        lines = self._json_lines if self._json else self._text_lines
        out: list[str] = []
        last_ms, stamp = -1, ""
        for when, request_id, principal, trace_id, records in self._pending:
            ms = int(when * 1000)
            if ms != last_ms:  # under load, many requests share a millisecond
                last_ms, stamp = ms, timestamp(when)
            lines(out, stamp, request_id, principal, trace_id, records)
        self._pending.clear()
        stream = self._stream or sys.stderr  # looked up now: stderr may have been redirected
        stream.write("\n".join(out) + "\n")
        stream.flush()

    def _text_lines(
        self,
        out: list[str],
        stamp: str,
        request_id: str,
        principal: str,
        trace_id: str | None,
        records: Sequence[CallRecord],
    ) -> None:
        # The shared start of a request's lines is built once: this loop runs per call.
        trace = "" if trace_id is None else f" trace_id={trace_id}"
        head = (
            f"{stamp} INFO rpc.call request_id={request_id}{trace} "
            f"principal={_field(principal)} method="
        )
        shown = self._shown
        for record in records:
            method = shown.get(record.method) or _field(record.method)
            outcome = "ok" if record.code is None else f"error code={record.code}"
            line = f"{head}{method} duration_ms={record.duration_s * 1000:.3f} outcome={outcome}"
            if self._params:
                line = f"{line} params={self._text_params(record)}"
            out.append(line)

    def _json_lines(
        self,
        out: list[str],
        stamp: str,
        request_id: str,
        principal: str,
        trace_id: str | None,
        records: Sequence[CallRecord],
    ) -> None:
        for record in records:
            code = record.code
            line: dict[str, Any] = {
                "ts": stamp,
                "level": "info",
                "logger": "rpc.call",
                "request_id": request_id,
                "principal": principal[:_FIELD_LIMIT],
                "method": record.method[:_FIELD_LIMIT],
                "duration_ms": round(record.duration_s * 1000, 3),
                "outcome": "ok" if code is None else "error",
                "code": code,
            }
            if trace_id is not None:
                line["trace_id"] = trace_id
            if self._params:
                line["params"] = self._json_params(record)
            out.append(orjson.dumps(line).decode())

    def _text_params(self, record: CallRecord) -> str:
        if record.method not in self._open:
            return REDACTED
        raw = orjson.dumps(record.params, default=str)
        return _field(_cut(raw) if len(raw) > PARAMS_LIMIT else raw.decode(), PARAMS_LIMIT + 1)

    def _json_params(self, record: CallRecord) -> Any:
        if record.method not in self._open:
            return REDACTED
        raw = orjson.dumps(record.params, default=str)
        return _cut(raw) if len(raw) > PARAMS_LIMIT else orjson.Fragment(raw)


def _field(value: str, limit: int = _FIELD_LIMIT) -> str:
    """Client input as a text field: quoted (and cut) when it could break or forge fields."""
    if len(value) <= limit and value.isprintable() and not any(c in value for c in _QUOTED):
        return value
    return repr(value[:limit])


def _cut(raw: bytes) -> str:
    return raw[:PARAMS_LIMIT].decode(errors="ignore") + "…"
