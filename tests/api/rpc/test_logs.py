"""One log line per call, in text or JSON, with the request id, principal, method, duration
and outcome; params only with ``--log-params``, redacted for x-sensitive methods."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from app.rpc.access import Principal
from app.rpc.dispatch import CallRecord
from app.server.call_log import PARAMS_LIMIT, CallLog
from tests.helpers.keys import bearer, new_key
from tests.helpers.rpc import post

ALICE = Principal("key:k1", "alice's laptop", frozenset({"calc"}))


def record(method: str, duration_s: float, code: int | None, params: Any = None) -> CallRecord:
    return CallRecord(method, 0.0, duration_s=duration_s, code=code, params=params)


@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_one_line_per_call(fmt: Any) -> None:
    stream = io.StringIO()
    log = CallLog(fmt, stream)
    records = [record("calc.add", 0.000123, None), record("calc.divide", 0.5, 1001)]
    log("req-1", records, ALICE)
    log.flush()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    if fmt == "json":
        first, second = map(orjson.loads, lines)
        assert first["request_id"] == "req-1" and first["method"] == "calc.add"
        assert first["principal"] == "alice's laptop"
        assert first["outcome"] == "ok" and first["duration_ms"] == 0.123
        assert second["outcome"] == "error" and second["code"] == 1001
        assert "params" not in first and "trace_id" not in first
    else:
        assert re.fullmatch(
            r"\S+Z INFO rpc\.call request_id=req-1 principal=\"alice's laptop\" "
            r"method=calc\.add duration_ms=0\.123 outcome=ok",
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
        r"\S+Z INFO rpc\.call request_id=r principal=anonymous "
        r"method='x outcome=ok request_id=forged' "
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


def server_lines(capsys: pytest.CaptureFixture[str], marker: str) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if marker in line]


async def test_the_principal_is_the_keys_name_never_the_key(
    make_client: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    key = new_key(keys, "billing-job", "calc")
    client = await make_client(keys_file=str(keys))
    headers = {**bearer(key), "X-Request-ID": "keyed-1"}
    await post(
        client, {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": 1}, **headers
    )
    await client.close()
    output = capsys.readouterr().err
    [line] = [line for line in output.splitlines() if "keyed-1" in line]
    assert " principal=billing-job method=calc.add " in line
    assert key not in output


@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_params_are_logged_only_when_asked(
    make_client: Any, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    # A sum no timestamp, id or duration can hold by chance ("42" was at 06:42:00).
    add = {"jsonrpc": "2.0", "method": "calc.add", "params": [4000000, 9876543], "id": 1}
    for log_params in (False, True):
        client = await make_client(log_format=fmt, log_params=log_params)
        capsys.readouterr()
        await post(client, add, **{"X-Request-ID": f"p-{log_params}"})
        await client.close()
        [line] = server_lines(capsys, f"p-{log_params}")
        assert "13876543" not in line  # never the result
        if fmt == "json":
            fields = orjson.loads(line)
            expected = [4000000, 9876543] if log_params else "absent"
            assert fields.get("params", "absent") == expected
        else:
            logged = " params=[4000000,9876543]"
            assert line.endswith(logged) if log_params else "params" not in line


@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_sensitive_unknown_and_malformed_calls_log_redacted_params(
    make_client: Any, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    secret = "hunter2-secret"
    client = await make_client(log_format=fmt, log_params=True)
    capsys.readouterr()
    batch = [
        {
            "jsonrpc": "2.0",
            "method": "tasks.heartbeat",
            "params": {"worker_token": secret},
            "id": 1,
        },
        {
            "jsonrpc": "2.0",
            "method": "tasks.heartbeet",
            "params": {"worker_token": secret},
            "id": 2,
        },
        {
            "jsonrpc": "1.0",
            "method": "tasks.heartbeat",
            "params": {"worker_token": secret},
            "id": 3,
        },
    ]
    await post(client, batch, **{"X-Request-ID": "sensitive"})
    await client.close()
    output = capsys.readouterr().err
    lines = [line for line in output.splitlines() if "sensitive" in line]
    assert len(lines) == 3
    assert secret not in output  # not in the call lines, nor in any other line
    for line in lines:
        if fmt == "json":
            assert orjson.loads(line)["params"] == "[redacted]"
        else:
            assert line.endswith(" params=[redacted]")


@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_long_params_are_cut(fmt: Any) -> None:
    stream = io.StringIO()
    log = CallLog(fmt, stream, methods=["probe.echo"], params=True)
    log("r", [record("probe.echo", 0.0, None, ["é" * 5000])])
    log.flush()
    [line] = stream.getvalue().splitlines()
    assert len(line) < PARAMS_LIMIT + 300
    if fmt == "json":
        shown = orjson.loads(line)["params"]
        assert isinstance(shown, str) and shown.startswith('["éé') and shown.endswith("…")
    else:
        assert line.endswith("…'")


async def test_params_cannot_forge_fields_or_lines() -> None:
    stream = io.StringIO()
    log = CallLog("text", stream, methods=["probe.echo"], params=True)
    log("r", [record("probe.echo", 0.0, None, {"a": "b outcome=ok\n2026 INFO forged"})])
    log.flush()
    [line] = stream.getvalue().splitlines()
    assert line.endswith(""" outcome=ok params='{"a":"b outcome=ok\\\\n2026 INFO forged"}'""")
