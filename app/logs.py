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
from typing import Any, Literal, TextIO

import orjson

Format = Literal["text", "json"]
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
    """Writes one line per call, batched into a single write per event-loop turn."""

    def __init__(self, fmt: Format, stream: TextIO | None = None) -> None:
        self._json = fmt == "json"
        self._stream = stream or sys.stderr
        self._lines: list[str] = []
        self._second = -1
        self._prefix = ""

    def __call__(self, request_id: str, method: str, duration_s: float, code: int | None) -> None:
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        stamp = f"{self._prefix}.{int((now - second) * 1000):03d}Z"
        duration_ms = round(duration_s * 1000, 3)
        if len(method) > 100:  # the name of an unknown method is whatever the client sent
            method = method[:100] + "…"
        if self._json:
            line = orjson.dumps(
                {
                    "ts": stamp,
                    "level": "info",
                    "logger": "rpc.call",
                    "request_id": request_id,
                    "method": method,
                    "duration_ms": duration_ms,
                    "outcome": "ok" if code is None else "error",
                    "code": code,
                }
            ).decode()
        else:
            if not method.isprintable():
                method = repr(method)
            outcome = "ok" if code is None else f"error code={code}"
            line = (
                f"{stamp} INFO rpc.call request_id={request_id} method={method} "
                f"duration_ms={duration_ms} outcome={outcome}"
            )
        if not self._lines:
            asyncio.get_running_loop().call_soon(self.flush)
        self._lines.append(line)

    def flush(self) -> None:
        if self._lines:
            self._stream.write("\n".join(self._lines) + "\n")
            self._lines.clear()
            self._stream.flush()


def _timestamp(created: float) -> str:
    whole = int(created)
    prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
    return f"{prefix}.{int((created - whole) * 1000):03d}Z"
