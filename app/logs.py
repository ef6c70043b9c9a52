"""Logging for every process (server, worker, CLI): text or JSON lines on stderr.

A line logged while a traced span is current names its trace (``trace_id``), as call log
lines do: an error inside a call can be found from its trace, and its trace from the line.
"""

from __future__ import annotations

import functools
import logging
import sys
import time
from typing import Any, Literal, TextIO

import orjson

from app.observe.tracing import current_trace_id

Format = Literal["text", "json"]
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class _UTCFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return timestamp(record.created)

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        trace_id = current_trace_id()  # a handler formats as it is called: the caller's span
        return line if trace_id is None else f"{line} trace_id={trace_id}"


class _JSONFormatter(_UTCFormatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": self.formatTime(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        trace_id = current_trace_id()
        if trace_id is not None:
            line["trace_id"] = trace_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line).decode()


class FloodFilter(logging.Filter):
    """Lets through at most ``burst`` records of one kind (logger and message template) per
    ``window_s``; the first record after a window that dropped some says how many.

    An attacker who can make the server log (refusals, "too many open files") must not be
    able to fill the disk: 35,711 identical lines once did.
    """

    def __init__(
        self,
        loggers: tuple[str, ...] = (),
        burst: int = 20,
        window_s: float = 10.0,
        kinds: int = 1024,
    ) -> None:
        super().__init__()
        self._loggers = loggers
        """The loggers (and their children) whose lines strangers can cause; others pass."""
        self._burst = burst
        self._window_s = window_s
        self._kinds = kinds
        self._seen: dict[tuple[str, object], list[float]] = {}
        """Per kind: [window start, records let through, records dropped]."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self._loggers):
            return True
        key = (record.name, record.msg)
        now = record.created
        state = self._seen.get(key)
        if state is None or now - state[0] >= self._window_s:
            dropped = int(state[2]) if state else 0
            if state is None and len(self._seen) >= self._kinds:
                self._seen.clear()  # many kinds at once: start over rather than grow
            self._seen[key] = [now, 1, 0]
            if dropped:
                record.msg = f"{record.msg} [{dropped} like it suppressed in {self._window_s:g} s]"
            return True
        if state[1] < self._burst:
            state[1] += 1
            return True
        state[2] += 1
        return False


SERVER_FLOODS = ("app.transport", "aiohttp", "asyncio")
"""Where a server's stranger-caused lines come from: refusals, bad requests, accept errors."""


def configure(
    fmt: Format, level: str, stream: TextIO | None = None, floods: tuple[str, ...] = ()
) -> None:
    """Send every log record to ``stream`` (stderr) as one text or JSON line; lines of the
    ``floods`` loggers are cut when one kind repeats too fast."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_JSONFormatter() if fmt == "json" else _UTCFormatter(_TEXT_FORMAT))
    if floods:
        handler.addFilter(FloodFilter(floods))
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
