"""The call log: one lean line per call (request id, method, duration, outcome).

It bypasses ``logging``: building a LogRecord costs more than a whole in-memory call. Lines
are collected and written together, in the same format as every other log line.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterable, Sequence
from typing import TextIO

import orjson

from app.logs import Format, timestamp
from app.rpc.dispatch import CallRecord


class CallLog:
    """Writes one line per call. Records are collected and written together at most
    ``FLUSH_INTERVAL_S`` later: one write for many requests instead of one each, which the
    benchmark showed costs more than the whole call. ``flush()`` also runs at shutdown."""

    FLUSH_INTERVAL_S = 0.05

    def __init__(
        self, fmt: Format, stream: TextIO | None = None, methods: Iterable[str] = ()
    ) -> None:
        self._json = fmt == "json"
        self._stream = stream
        self._pending: list[tuple[float, str, Sequence[CallRecord]]] = []
        # Registered names are safe to show as they are; only other names need a look.
        self._shown = {method: method for method in methods}

    def __call__(self, request_id: str, records: Sequence[CallRecord]) -> None:
        if not self._pending:
            asyncio.get_running_loop().call_later(self.FLUSH_INTERVAL_S, self.flush)
        self._pending.append((time.time(), request_id, records))

    def flush(self) -> None:
        if not self._pending:
            return
        lines = self._json_lines if self._json else self._text_lines
        out: list[str] = []
        last_ms, stamp = -1, ""
        for when, request_id, records in self._pending:
            ms = int(when * 1000)
            if ms != last_ms:  # under load, many requests share a millisecond
                last_ms, stamp = ms, timestamp(when)
            lines(out, stamp, request_id, records)
        self._pending.clear()
        stream = self._stream or sys.stderr  # looked up now: stderr may have been redirected
        stream.write("\n".join(out) + "\n")
        stream.flush()

    def _text_lines(
        self, out: list[str], stamp: str, request_id: str, records: Sequence[CallRecord]
    ) -> None:
        # The shared start of a request's lines is built once: this loop runs per call.
        head = f"{stamp} INFO rpc.call request_id={request_id} method="
        shown = self._shown
        for record in records:
            method = shown.get(record.method) or self._show(record.method)
            outcome = "ok" if record.code is None else f"error code={record.code}"
            out.append(
                f"{head}{method} duration_ms={record.duration_s * 1000:.3f} outcome={outcome}"
            )

    @staticmethod
    def _show(method: str) -> str:
        """An unknown method as a text field: client input, quoted when it could break or
        forge fields."""
        if len(method) > 100 or not method.isprintable() or " " in method:
            return repr(method[:100])
        return method

    @staticmethod
    def _json_lines(
        out: list[str], stamp: str, request_id: str, records: Sequence[CallRecord]
    ) -> None:
        for record in records:
            code = record.code
            line = {
                "ts": stamp,
                "level": "info",
                "logger": "rpc.call",
                "request_id": request_id,
                "method": record.method[:100],
                "duration_ms": round(record.duration_s * 1000, 3),
                "outcome": "ok" if code is None else "error",
                "code": code,
            }
            out.append(orjson.dumps(line).decode())
