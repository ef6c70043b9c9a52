"""The call log: one lean line per call (request id, method, duration, outcome).

It bypasses ``logging``: building a LogRecord costs more than a whole in-memory call. Lines
are collected and written together, in the same format as every other log line.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence
from typing import TextIO

import orjson

from app.logs import Format, timestamp
from app.rpc.dispatch import CallRecord


class CallLog:
    """Writes one line per call. Records are collected and written together at most
    ``FLUSH_INTERVAL_S`` later: one write for many requests instead of one each, which the
    benchmark showed costs more than the whole call. ``flush()`` also runs at shutdown."""

    FLUSH_INTERVAL_S = 0.05

    def __init__(self, fmt: Format, stream: TextIO | None = None) -> None:
        self._json = fmt == "json"
        self._stream = stream
        self._pending: list[tuple[float, str, Sequence[CallRecord]]] = []

    def __call__(self, request_id: str, records: Sequence[CallRecord]) -> None:
        if not self._pending:
            asyncio.get_running_loop().call_later(self.FLUSH_INTERVAL_S, self.flush)
        self._pending.append((time.time(), request_id, records))

    def flush(self) -> None:
        if not self._pending:
            return
        line = self._json_line if self._json else self._text_line
        lines = []
        last_ms, stamp = -1, ""
        for when, request_id, records in self._pending:
            ms = int(when * 1000)
            if ms != last_ms:  # under load, many requests share a millisecond
                last_ms, stamp = ms, timestamp(when)
            for record in records:
                lines.append(line(stamp, request_id, record.method, record.duration_s, record.code))
        self._pending.clear()
        stream = self._stream or sys.stderr  # looked up now: stderr may have been redirected
        stream.write("\n".join(lines) + "\n")
        stream.flush()

    @staticmethod
    def _text_line(
        stamp: str, request_id: str, method: str, duration_s: float, code: int | None
    ) -> str:
        # Unknown names are client input: quoted when they could break or forge fields.
        if len(method) > 100 or not method.isprintable() or " " in method:
            method = repr(method[:100])
        outcome = "ok" if code is None else f"error code={code}"
        return (
            f"{stamp} INFO rpc.call request_id={request_id} method={method} "
            f"duration_ms={duration_s * 1000:.3f} outcome={outcome}"
        )

    @staticmethod
    def _json_line(
        stamp: str, request_id: str, method: str, duration_s: float, code: int | None
    ) -> str:
        return orjson.dumps(
            {
                "ts": stamp,
                "level": "info",
                "logger": "rpc.call",
                "request_id": request_id,
                "method": method[:100],
                "duration_ms": round(duration_s * 1000, 3),
                "outcome": "ok" if code is None else "error",
                "code": code,
            }
        ).decode()
