"""One log line per call, in text or JSON, with the request id, method, duration and outcome."""

from __future__ import annotations

import io
import re
from typing import Any

import orjson
import pytest

from app.rpc.dispatch import CallRecord
from app.server.call_log import CallLog
from tests.helpers.rpc import post


def record(method: str, duration_s: float, code: int | None) -> CallRecord:
    return CallRecord(method, 0.0, duration_s=duration_s, code=code)


@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_one_line_per_call(fmt: Any) -> None:
    stream = io.StringIO()
    log = CallLog(fmt, stream)
    log("req-1", [record("calc.add", 0.000123, None), record("calc.divide", 0.5, 1001)])
    log.flush()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    if fmt == "json":
        first, second = map(orjson.loads, lines)
        assert first["request_id"] == "req-1" and first["method"] == "calc.add"
        assert first["outcome"] == "ok" and first["duration_ms"] == 0.123
        assert second["outcome"] == "error" and second["code"] == 1001
    else:
        assert re.fullmatch(
            r"\S+Z INFO rpc\.call request_id=req-1 method=calc\.add duration_ms=0\.123 outcome=ok",
            lines[0],
        )
        assert lines[1].endswith("outcome=error code=1001")


async def test_hostile_method_names_cannot_forge_lines() -> None:
    stream = io.StringIO()
    log = CallLog("text", stream)
    log("r", [record("x\n2026-01-01 INFO forged", 0.0, -32601), record("y" * 10_000, 0.0, -32601)])
    log.flush()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert len(lines[1]) < 300


async def test_hostile_method_names_cannot_forge_fields() -> None:
    stream = io.StringIO()
    log = CallLog("text", stream)
    log("r", [record("x outcome=ok request_id=forged", 0.0, -32601)])
    log.flush()
    [line] = stream.getvalue().splitlines()
    assert re.fullmatch(
        r"\S+Z INFO rpc\.call request_id=r method='x outcome=ok request_id=forged' "
        r"duration_ms=0\.000 outcome=error code=-32601",
        line,
    )


async def test_the_server_logs_every_call_of_a_batch(
    make_client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    client = await make_client()
    capsys.readouterr()
    batch = [
        {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": 1},
        {"jsonrpc": "2.0", "method": "calc.divide", "params": [1, 0], "id": 2},
        {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2]},
    ]
    response = await client.post("/rpc", json=batch, headers={"X-Request-ID": "batch-7"})
    assert response.status == 200
    await post(client, {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 1], "id": 3})
    await client.close()  # shutting down writes what is still pending
    lines = [line for line in capsys.readouterr().err.splitlines() if "request_id=batch-7" in line]
    assert [line.split("method=")[1].split()[0] for line in lines] == [
        "calc.add",
        "calc.divide",
        "calc.add",
    ]
    assert lines[1].endswith("outcome=error code=1001")
