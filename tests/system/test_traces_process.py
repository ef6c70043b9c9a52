"""The real server with ``OTEL_TRACES_EXPORTER=console`` prints its spans on stdout."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from typing import Any

import aiohttp
import pytest

from tests.helpers.server_process import ROOT

pytest.importorskip("opentelemetry.sdk.trace", reason="the otel extra is not installed")

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
_READY = re.compile(rb"serving on http://127\.0\.0\.1:(\d+)/rpc")


async def test_console_traces_from_the_environment() -> None:
    env = {
        **os.environ,
        "RPC_HOST": "127.0.0.1",
        "RPC_PORT": "0",
        "OTEL_TRACES_EXPORTER": "console",
        "OTEL_SERVICE_NAME": "rpc-hub-test",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    try:
        async with asyncio.timeout(30):
            while not (ready := _READY.search(line := await process.stderr.readline())):
                assert line, "the server exited before listening"
            stderr = asyncio.create_task(process.stderr.read())  # so the pipe never fills
            url = f"http://127.0.0.1:{int(ready.group(1))}/rpc"
            call = {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": 1}
            headers = {"traceparent": TRACEPARENT, "X-Request-ID": "traced-1"}
            async with (
                aiohttp.ClientSession() as session,
                session.post(url, json=call, headers=headers) as response,
            ):
                assert (await response.json())["result"] == 3
            process.send_signal(signal.SIGTERM)  # spans still batched are written on the way out
            out, log = await process.stdout.read(), await stderr
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    [span] = [span for span in decode_all(out.decode()) if span["name"] == "calc.add"]
    assert span["kind"] == "SpanKind.SERVER"
    assert span["context"]["trace_id"] == f"0x{TRACE_ID}"
    assert span["parent_id"] == "0x00f067aa0ba902b7"
    assert span["attributes"]["rpc_hub.request_id"] == "traced-1"
    assert span["resource"]["attributes"]["service.name"] == "rpc-hub-test"
    assert f"request_id=traced-1 trace_id={TRACE_ID} ".encode() in log


def decode_all(text: str) -> list[dict[str, Any]]:
    """The JSON objects the console exporter wrote, one after another."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while (at := text.find("{", at)) != -1:
        value, at = decoder.raw_decode(text, at)
        found.append(value)
    return found
