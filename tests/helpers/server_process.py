"""Start the real server (``python -m app``) as a child process on a loopback port."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
SERVER_COMMAND = ["python", "-m", "app"]
"""What the Docker image runs (its CMD); tests run the same with this interpreter."""
_READY = re.compile(r"serving on http://127\.0\.0\.1:(\d+)/rpc")


@dataclass
class ServerProcess:
    process: asyncio.subprocess.Process
    port: int
    log: list[str] = field(default_factory=list)
    """Every line the server has logged so far (read as it comes, so the pipe never fills
    and blocks a busy server)."""
    _logged: asyncio.Event = field(default_factory=asyncio.Event)
    _reader: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def read_log(self) -> None:
        """Start reading the server's log in the background."""
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for line in self.process.stderr:
            self.log.append(line.decode())
            self._logged.set()

    async def logged(self, text: str, times: int = 1, timeout_s: float = 10) -> None:
        """Wait until ``text`` is in ``times`` lines of the log."""
        async with asyncio.timeout(timeout_s):
            while sum(text in line for line in self.log) < times:
                self._logged.clear()
                await self._logged.wait()

    async def readiness(self) -> tuple[int, str]:
        """What GET /readyz answers now: its status code and ``status``."""
        async with aiohttp.ClientSession() as session, session.get(f"{self.url}/readyz") as got:
            return got.status, (await got.json())["status"]

    async def ready(self, timeout_s: float = 30) -> None:
        """Wait until /readyz answers 200: the stores load after the listener is up."""
        async with asyncio.timeout(timeout_s):
            while (await self.readiness())[0] != 200:
                pass  # each poll is a round trip: paced by the server

    async def stopped(self) -> int:
        """Wait for the process to exit (and its log to be read) and return its exit status."""
        async with asyncio.timeout(30):
            if self._reader is not None:
                await self._reader
            return await self.process.wait()


@asynccontextmanager
async def server_process(
    *args: str,
    command: Sequence[str] = (sys.executable, *SERVER_COMMAND[1:]),
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
) -> AsyncIterator[ServerProcess]:
    """Run the server until the block ends, on a free loopback port unless told otherwise."""
    process = await asyncio.create_subprocess_exec(
        *command,
        *args,
        cwd=cwd,
        env={**os.environ, "RPC_HOST": "127.0.0.1", "RPC_PORT": "0", **(env or {})},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    log: list[str] = []
    try:
        async with asyncio.timeout(30):
            while not (match := _READY.search(line := (await process.stderr.readline()).decode())):
                log.append(line)
                if not line:
                    raise RuntimeError("server exited before listening:\n" + "".join(log))
        log.append(line)
        server = ServerProcess(process, int(match.group(1)), log)
        server.read_log()
        yield server
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
