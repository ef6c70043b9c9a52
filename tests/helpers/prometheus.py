"""Prometheus's own tools, from Debian's ``prometheus`` package: ``promtool`` to check configs,
exposition text and PromQL, and a real ``prometheus`` on a free loopback port. Where they are
missing the tests that need them skip, saying how to install them, except under CI (.ci/run
installs the package)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.helpers.redis_server import free_port

PROMTOOL = shutil.which("promtool")
PROMETHEUS = shutil.which("prometheus")
_INSTALL = "apt-get install prometheus (Debian), which provides promtool and prometheus"

needs_promtool = pytest.mark.skipif(
    PROMTOOL is None and not os.environ.get("CI"), reason=f"promtool is not installed: {_INSTALL}"
)
needs_prometheus = pytest.mark.skipif(
    PROMETHEUS is None and not os.environ.get("CI"),
    reason=f"prometheus is not installed: {_INSTALL}",
)
_WAIT_S = 30


def promtool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None, _INSTALL
    return subprocess.run(
        [PROMTOOL, *args], input=stdin, capture_output=True, text=True, check=False, timeout=60
    )


_UNSELECTED = re.compile(
    r'"(?:[^"\\]|\\.)*"'  # strings
    r"|\{[^}]*\}|\[[^\]]*\]"  # label matchers, ranges
    r"|\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)"  # label lists
)
_WORD = re.compile(r"(?<![\w.:])([A-Za-z_:][\w:]*)(\s*\()?")
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "atan2"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects: its words that are neither functions
    nor keywords, once strings, label matchers, ranges and label lists are set aside."""
    bare = _UNSELECTED.sub(" ", expr)
    return {m[1] for m in _WORD.finditer(bare) if not m[2] and m[1] not in _KEYWORDS}


class Prometheus:
    """A running Prometheus's HTTP API."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self._session = session
        self.url = url

    async def api(self, path: str, **params: str) -> Any:
        async with self._session.get(f"{self.url}/api/v1/{path}", params=params) as response:
            return await response.json()

    async def first_scrape(self) -> dict[str, Any]:
        """The only target, once it has been scraped (``health`` up or down, ``lastError``)."""
        async with asyncio.timeout(_WAIT_S):
            while True:
                targets = (await self.api("targets"))["data"]["activeTargets"]
                if targets and targets[0]["health"] != "unknown":
                    assert len(targets) == 1, targets
                    return dict(targets[0])
                await asyncio.sleep(0.1)


@asynccontextmanager
async def prometheus(config: Path, data: Path) -> AsyncIterator[Prometheus]:
    """Run Prometheus with ``config`` until the block ends, once it says it is ready."""
    assert PROMETHEUS is not None, _INSTALL
    port = free_port()
    log = data.with_suffix(".log")
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
            stdout=out,
            stderr=out,
        )
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{port}"
            await _ready(session, url, process, log)
            yield Prometheus(session, url)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(_WAIT_S):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()


async def _ready(
    session: aiohttp.ClientSession, url: str, process: asyncio.subprocess.Process, log: Path
) -> None:
    async with asyncio.timeout(_WAIT_S):
        while process.returncode is None:
            try:
                async with session.get(f"{url}/-/ready") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass  # not listening yet
            await asyncio.sleep(0.1)
    logged = await asyncio.to_thread(log.read_text)
    raise RuntimeError(f"prometheus exited before it was ready:\n{logged}")
