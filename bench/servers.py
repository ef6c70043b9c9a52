"""Start the servers under test as real processes, each pinned to one core."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(command: Sequence[str], cpu: int | None) -> list[str]:
    return ["taskset", "-c", str(cpu), *command] if cpu is not None else list(command)


@contextlib.contextmanager
def running(
    name: str, command: Sequence[str], cpu: int | None, log: Path, ready: tuple[str, int]
) -> Iterator[Server]:
    """Run ``command`` (which takes ``--port``) until the block ends.

    ``ready`` is the (path, status) a GET answers once the server can take load.
    """
    port = free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            pinned([*command, "--port", str(port)], cpu), stdout=sink, stderr=subprocess.STDOUT
        )
        try:
            _wait_ready(f"http://127.0.0.1:{port}{ready[0]}", ready[1], process, log)
            yield Server(name, process, port)
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
    url: str, status: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 90
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
        time.sleep(0.1)
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
