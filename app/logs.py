"""Logging for every process (server, worker, CLI): text or JSON lines on stderr."""

from __future__ import annotations

import functools
import logging
import sys
import time
from typing import Any, Literal, TextIO

import orjson

Format = Literal["text", "json"]
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class _UTCFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return timestamp(record.created)


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


def timestamp(created: float) -> str:
    """A log timestamp: UTC, to the millisecond."""
    whole = int(created)
    return f"{_second(whole)}.{int((created - whole) * 1000):03d}Z"


@functools.lru_cache(maxsize=4)
def _second(whole: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
