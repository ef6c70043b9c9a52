"""The server's event loop: uvloop by default where it is installed, asyncio on request."""

from __future__ import annotations

import asyncio

import pytest

from app.server import loop


async def _running() -> str:
    return type(asyncio.get_running_loop()).__module__.split(".")[0]


def test_auto_runs_on_uvloop_where_it_is_installed() -> None:
    pytest.importorskip("uvloop")  # a default dependency on every platform the tests run on
    assert loop.chosen("auto") == "uvloop"
    assert loop.run(_running(), "auto") == "uvloop"


def test_asyncio_is_there_on_request() -> None:
    assert loop.chosen("asyncio") == "asyncio"
    assert loop.run(_running(), "asyncio") == "asyncio"
