"""Logging: text or JSON lines on stderr, plus a lean per-call line.

The per-call line (request id, method, duration, outcome) bypasses ``logging``: building a
LogRecord costs more than a whole in-memory call. Lines are collected and written once per
event-loop turn, in the same format as every other log line.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Sequence
from typing import Any, Literal, TextIO

import orjson

Format = Literal["text", "json"]
CallRecord = tuple[str, float, int | None, Any]
"""(method, duration in seconds, error code or None, ...): what the engine reports per call."""
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class _UTCFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _timestamp(record.created)


class _JSONFormatter(_UTCFormatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": self.formatTime(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line).decode()


def configure(fmt: Format, level: str, stream: TextIO | None = None) -> None:
    """Send every log record to ``stream`` (stderr) as one text or JSON line."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_JSONFormatter() if fmt == "json" else _UTCFormatter(_TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


class CallLog:
    """Writes one line per call: records are collected, then formatted and written in one go
    once per event-loop turn, all stamped with the time of that write."""

    def __init__(self, fmt: Format, stream: TextIO | None = None) -> None:
        self._json = fmt == "json"
        self._stream = stream or sys.stderr
        self._pending: list[tuple[str, Sequence[CallRecord]]] = []

    def __call__(self, request_id: str, records: Sequence[CallRecord]) -> None:
        if not self._pending:
            asyncio.get_running_loop().call_soon(self.flush)
        self._pending.append((request_id, records))

    def flush(self) -> None:
        if not self._pending:
            return
        stamp = _timestamp(time.time())
        line = self._json_line if self._json else self._text_line
        lines = [
            line(stamp, request_id, method, duration_s, code)
            for request_id, records in self._pending
            for method, duration_s, code, _ in records
        ]
        self._pending.clear()
        self._stream.write("\n".join(lines) + "\n")
        self._stream.flush()

    @staticmethod
    def _text_line(
        stamp: str, request_id: str, method: str, duration_s: float, code: int | None
    ) -> str:
        if len(method) > 100 or not method.isprintable():  # unknown names are client input
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


def _timestamp(created: float) -> str:
    whole = int(created)
    prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
    return f"{prefix}.{int((created - whole) * 1000):03d}Z"
