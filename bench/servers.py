"""Start the servers under test as real processes, each pinned to one core."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_TICK_S = 1 / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    ready_s: float = 0.0
    """Seconds from the process's start to its first ready answer."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/rpc"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/rpc"

    def rss_mib(self) -> float:
        """Resident memory of the server process, in MiB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kib = next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")
        )
        return kib / 1024

    def cpu_s(self) -> float:
        """CPU seconds the server (and any child processes it forked) has used so far."""
        return cpu_s([self.process.pid, *children(self.process.pid)])


def children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def cpu_s(pids: list[int]) -> float:
    """User and system CPU seconds the processes have used so far (/proc/<pid>/stat)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total * _TICK_S


def post(url: str, body: bytes, headers: Mapping[str, str] | None = None) -> Any:
    """POST one JSON-RPC body and return the decoded answer."""
    request = urllib.request.Request(  # noqa: S310 (loopback)
        url, body, {"Content-Type": "application/json", **(headers or {})}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
        return json.loads(response.read())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(command: Sequence[str], cpu: int | None) -> list[str]:
    return ["taskset", "-c", str(cpu), *command] if cpu is not None else list(command)


@contextlib.contextmanager
def running(
    name: str,
    command: Sequence[str],
    cpu: int | None,
    log: Path,
    ready: tuple[str, int],
    poll_s: float = 0.1,
    cwd: Path | None = None,
) -> Iterator[Server]:
    """Run ``command`` (which takes ``--port``) until the block ends, in ``cwd`` if given
    (``python -m app`` there serves that directory's ``app``).

    ``ready`` is the (path, status) a GET answers once the server can take load; it is asked
    every ``poll_s``.
    """
    port = free_port()
    with log.open("wb") as sink:
        started = time.perf_counter()
        process = subprocess.Popen(
            pinned([*command, "--port", str(port)], cpu),
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=cwd,
        )
        try:
            _wait_ready(f"http://127.0.0.1:{port}{ready[0]}", ready[1], process, log, poll_s)
            yield Server(name, process, port, time.perf_counter() - started)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


APP_READY = ("/readyz", 200)
CEILING_READY = ("/rpc", 405)  # it has only POST /rpc


def app_command(*flags: str) -> list[str]:
    """The real server: ``python -m app``."""
    return [sys.executable, "-m", "app", *flags]


def ceiling_command() -> list[str]:
    return [sys.executable, "-m", "bench.ceiling"]


def _wait_ready(
    url: str,
    status: int,
    process: subprocess.Popen[bytes],
    log: Path,
    poll_s: float,
    timeout: float = 90,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (loopback)
                answered = response.status
        except urllib.error.HTTPError as refused:
            answered = refused.code
        except OSError:
            answered = None
        if answered == status:
            return
        time.sleep(poll_s)
    raise RuntimeError(f"{url} did not answer {status} within {timeout}s; see {log}")


@dataclass(frozen=True)
class Redis:
    url: str
    pid: int


@contextlib.contextmanager
def redis(cpu: int | None) -> Iterator[Redis]:
    """A throwaway redis-server (no persistence) on ``cpu``, for as long as the block runs."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="rpc-hub-bench-redis-") as scratch:
        command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        process = subprocess.Popen(
            pinned([*command, "--appendonly", "no", "--dir", scratch], cpu),
            stdout=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            yield Redis(f"redis://127.0.0.1:{port}/0", process.pid)
        finally:
            process.terminate()
            process.wait(timeout=10)
