"""Start ``rpc-hub worker`` as a child process, reading its log as it runs."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from tests.helpers.server_process import ROOT

WORKER_COMMAND = (sys.executable, "-c", "import sys; from app.cli import main; sys.exit(main())")
WAIT_S = 30
_REGISTERED = re.compile(r"registered as (\S+)")
_STARTED = re.compile(r"started task (\S+)")
_COMPLETED = re.compile(r"completed task (\S+) lease (\S+)")


@dataclass(eq=False)
class WorkerProcess:
    process: asyncio.subprocess.Process
    log: list[str] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    """Task ids, in the order the worker started them."""
    completed: list[tuple[str, str]] = field(default_factory=list)
    """(task id, lease id) for each completion the server accepted."""
    worker_ids: list[str] = field(default_factory=list)
    """Its registrations (more than one if the server forgot it)."""
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def read(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            line = raw.decode()
            self.log.append(line)
            if match := _REGISTERED.search(line):
                self.worker_ids.append(match.group(1))
            if match := _STARTED.search(line):
                self.started.append(match.group(1))
            if match := _COMPLETED.search(line):
                self.completed.append((match.group(1), match.group(2)))
            async with self.changed:
                self.changed.notify_all()

    async def wait_for(self, text: str) -> None:
        """Wait until a log line contains ``text``."""
        async with asyncio.timeout(WAIT_S), self.changed:
            await self.changed.wait_for(lambda: any(text in line for line in self.log))

    async def wait_completed(self, pairs: set[tuple[str, str]]) -> None:
        """Wait until the worker has logged each of these (task id, lease id) completions."""
        async with asyncio.timeout(WAIT_S), self.changed:
            await self.changed.wait_for(lambda: pairs <= set(self.completed))

    async def wait_started(self, count: int) -> None:
        """Wait until the worker has started ``count`` tasks."""
        async with asyncio.timeout(WAIT_S), self.changed:
            await self.changed.wait_for(lambda: len(self.started) >= count)


@asynccontextmanager
async def worker_process(url: str, *args: str) -> AsyncIterator[WorkerProcess]:
    """Run a worker against ``url`` until the block ends (then kill it if still running)."""
    process = await asyncio.create_subprocess_exec(
        *WORKER_COMMAND,
        "worker",
        "--url",
        f"{url}/rpc",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    worker = WorkerProcess(process)
    reader = asyncio.create_task(worker.read())
    try:
        await worker.wait_for("registered as")
        yield worker
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
        await reader
