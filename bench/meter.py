"""What a run cost each side: wall time, and the CPU the server and this process used and
how long each waited for its core. On a shared machine the wait says how much of the run a
side was ready to work but another process had its core."""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass
from pathlib import Path

from bench import servers


@dataclass(frozen=True)
class Spent:
    wall_s: float
    server_s: float
    """The server process's CPU (every thread)."""
    server_waited_s: float
    """Its main thread's time ready to run but not running (``/proc/<pid>/schedstat``)."""
    client_s: float
    """This process's CPU."""
    client_waited_s: float


class Meter:
    """From creation to ``spent()``."""

    def __init__(self, server_pid: int) -> None:
        self._pid = server_pid
        self._start = self._read()

    def _read(self) -> tuple[float, float, float, float, float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return (
            time.perf_counter(),
            servers.cpu_s([self._pid]),
            _waited_s(str(self._pid)),
            usage.ru_utime + usage.ru_stime,
            _waited_s("self"),
        )

    @property
    def started(self) -> float:
        """When the meter started, as a ``time.perf_counter()`` time."""
        return self._start[0]

    def spent(self, until: float | None = None) -> Spent:
        """What was spent so far; the wall time up to ``until`` (a ``perf_counter`` time)
        if given."""
        now = self._read()
        wall, *spent = (b - a for a, b in zip(self._start, now, strict=True))
        if until is not None:
            wall = until - self.started
        return Spent(wall, *spent)


def _waited_s(pid: str) -> float:
    """Seconds the process's main thread has been ready to run but not running."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9


def percentile(ordered: list[float], share: float) -> float:
    """The value ``share`` of the way up a sorted list."""
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]
