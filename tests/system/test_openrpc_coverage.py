"""OpenRPC's own checker passes every example against a real `rpc-hub serve --demo`.

`@open-rpc/test-coverage`, pinned in tests/openrpc_coverage/ and run there by examples.js
with its examples rule alone, sends each example's params as an array (an object for a
`by-name` method) to the document's server, and passes a call whose result equals the
example's or validates against the method's result schema (Ajv 7, strict). Two departures,
said by examples.js: the server's /rpc replaces the document's default address, and the
subscription methods are skipped (they need a stream; tests/api/rpc/test_examples.py runs
theirs over a WebSocket). The tool sends no key, so the server grants calls without one the
admin scope, which cart.restock and game.new_round need.

Needs Node.js and npm: skipped without them, but failed under CI=true (.ci/run installs
them). `npm ci` runs once per package-lock.json, leaving node_modules/ in that directory.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from app.server import build_api
from app.settings import Settings
from tests.helpers.server_process import ROOT, server_process

PROJECT = ROOT / "tests" / "openrpc_coverage"
LOCK = PROJECT / "package-lock.json"
STAMP = PROJECT / "node_modules" / ".rpc-hub-installed"
"""The digest of the package-lock.json that node_modules/ was installed from."""
RPC_HUB = str(Path(sys.executable).with_name("rpc-hub"))
RUN_S = 120.0
"""A bound on a hung run; the whole run takes a few seconds."""


@pytest.fixture(scope="session")
def node() -> str:
    """Node.js, with the pinned tool installed in tests/openrpc_coverage/."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        reason = "needs Node.js and npm (.ci/run installs Debian's nodejs and npm)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    if not STAMP.is_file() or STAMP.read_text() != digest:
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--prefer-offline"],
            cwd=PROJECT,
            check=True,
            timeout=600,
        )
        STAMP.write_text(digest)
    return node


def stream_only(name: str) -> bool:
    return name.endswith((".subscribe", ".unsubscribe"))


async def run_examples(node: str, url: str) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        node,
        "examples.js",
        url,
        cwd=PROJECT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(RUN_S):
            out, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode()
    report: dict[str, Any] = orjson.loads(out)
    return report


async def test_the_examples_rule_passes_every_example_on_a_demo_server(node: str) -> None:
    async with server_process(
        "--demo", "--no-call-log", command=(RPC_HUB, "serve"), env={"RPC_ANONYMOUS_SCOPES": "admin"}
    ) as server:
        report = await run_examples(node, server.url)
    assert any("demo mode: seeded" in line for line in server.log)
    failures = [
        f"{call['method']} ({call['title']}): "
        f"{call['reason'] or call['requestError'] or orjson.dumps(call['error']).decode()}"
        for call in report["calls"]
        if not call["valid"]
    ]
    assert failures == []
    _, document = build_api(Settings())
    examples = [
        method["name"]
        for method in document["methods"]
        for _ in method["examples"]
        if not stream_only(method["name"])
    ]
    assert [call["method"] for call in report["calls"]] == examples  # each one, in order
    assert sorted(report["skipped"]) == sorted(
        method["name"] for method in document["methods"] if stream_only(method["name"])
    )
    assert report["url"] == f"{server.url}/rpc"


async def test_the_rule_fails_examples_without_demo_mode(node: str) -> None:
    """The check can fail: on a plain server the examples' ids name nothing."""
    async with server_process(
        "--no-call-log", command=(RPC_HUB, "serve"), env={"RPC_ANONYMOUS_SCOPES": "admin"}
    ) as server:
        report = await run_examples(node, server.url)
    failed = {call["method"] for call in report["calls"] if not call["valid"]}
    assert {"cart.get", "game.move", "tasks.heartbeat", "workers.deregister"} <= failed
    assert "calc.add" not in failed


async def test_demo_mode_refuses_a_redis_store() -> None:
    process = await asyncio.create_subprocess_exec(
        RPC_HUB,
        "serve",
        "--demo",
        "--store",
        "redis://127.0.0.1:1/0",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(30):
        _, err = await process.communicate()
    assert process.returncode == 1
    assert "--demo" in err.decode() and "--store memory" in err.decode()
