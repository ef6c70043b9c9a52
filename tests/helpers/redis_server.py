"""A real ``redis-server`` on a free loopback port, for the Redis backend's tests.

Contract suites share one server per test session (each store opens under a fresh key
prefix, so tests never see each other's keys); system tests that kill or restart Redis start
their own. Where redis-server is missing the Redis tests skip, saying how to install it,
except under CI, which must run them.
"""

from __future__ import annotations

import atexit
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

REDIS_SERVER = os.environ.get("REDIS_SERVER") or shutil.which("redis-server")
_MISSING = (
    "redis-server is not installed: apt-get install redis-server (Debian), or set REDIS_SERVER"
)

needs_redis = pytest.mark.skipif(REDIS_SERVER is None and not os.environ.get("CI"), reason=_MISSING)
"""Mark a test that needs redis-server: skipped without one, except under CI."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """One redis-server process, keeping its files (AOF) in ``directory``: with AOF fsynced
    on every write (``aof``), without persistence, or as a ``config`` file says."""

    def __init__(
        self,
        directory: Path,
        *,
        aof: bool = False,
        port: int | None = None,
        config: Path | None = None,
    ) -> None:
        if REDIS_SERVER is None:
            raise RuntimeError(_MISSING)
        self.directory = directory
        self.port = port or free_port()
        if config is not None:
            self.options = [str(config)]
        elif aof:
            self.options = ["--save", "", "--appendonly", "yes", "--appendfsync", "always"]
        else:
            self.options = ["--save", "", "--appendonly", "no"]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 10) -> RedisServer:
        """Start it and wait until it says it accepts connections."""
        assert REDIS_SERVER is not None
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                *self.options,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout_s
        seen = b""
        while b"Ready to accept connections" not in seen:
            left = deadline - time.monotonic()
            if left <= 0 or self.process.poll() is not None:
                self.kill()
                raise RuntimeError(f"redis-server did not start:\n{seen.decode(errors='replace')}")
            if select.select([self.process.stdout], [], [], left)[0]:
                seen += os.read(self.process.stdout.fileno(), 65536)
        return self

    def kill(self) -> None:
        """SIGKILL it: what the AOF has fsynced survives, nothing else."""
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        self._end(signal.SIGTERM)

    def _end(self, sig: signal.Signals) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=10)
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None


_shared: RedisServer | None = None


def shared() -> RedisServer:
    """The test session's redis-server, started on first use and stopped at exit."""
    global _shared
    if _shared is None:
        directory = Path(tempfile.mkdtemp(prefix="rpc-hub-redis-"))
        _shared = RedisServer(directory).start()
        atexit.register(_shared.stop)
    return _shared


def fresh_prefix() -> str:
    """A key prefix no other test uses, so tests sharing one Redis never meet."""
    return f"test-{uuid.uuid4().hex[:12]}"
