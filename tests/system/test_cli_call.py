"""``rpc-hub call`` and ``rpc-hub methods``, run as real processes against a real server:
piped (plain JSON, for scripts) and on a terminal (a pty: rich colors and tables).
"""

from __future__ import annotations

import asyncio
import os
import pty
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.helpers.server_process import ServerProcess, server_process

pytestmark = pytest.mark.asyncio(loop_scope="module")

RPC_HUB = str(Path(sys.executable).with_name("rpc-hub"))
ADMIN_TOKEN = "cli-admin-token"
ANSI = "\x1b["


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def server() -> AsyncIterator[ServerProcess]:
    async with server_process(
        "--plugins", "tests.helpers.probe:namespace", "--no-call-log",
        env={"RPC_ADMIN_TOKEN": ADMIN_TOKEN},
    ) as process:  # fmt: skip
        yield process


@dataclass
class Run:
    status: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return orjson.loads(self.out)


def environment(server: ServerProcess | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RPC_URL", "RPC_TOKEN", "NO_COLOR")}
    if server is not None:
        env["RPC_URL"] = f"{server.url}/rpc"
    return {**env, **extra}


async def rpc_hub(server: ServerProcess | None, *args: str, stdin: bytes = b"", **env: str) -> Run:
    """Run ``rpc-hub ARGS`` with its output piped."""
    process = await asyncio.create_subprocess_exec(
        RPC_HUB,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environment(server, **env),
    )
    out, err = await process.communicate(stdin)
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode())


async def rpc_hub_on_a_terminal(server: ServerProcess, *args: str) -> Run:
    """Run ``rpc-hub ARGS`` with stdout and stderr on a pseudo-terminal, as a person would."""
    leader, follower = pty.openpty()
    process = await asyncio.create_subprocess_exec(
        RPC_HUB,
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env=environment(server, TERM="xterm-256color", COLUMNS="120"),
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = await asyncio.to_thread(os.read, leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    status = await process.wait()
    return Run(status, b"".join(chunks).decode(), "")


async def test_positional_and_named_params(server: ServerProcess) -> None:
    run = await rpc_hub(server, "call", "calc.add", "2", "3")
    assert (run.status, run.out, run.err) == (0, "5\n", "")
    run = await rpc_hub(server, "call", "calc.subtract", "minuend=42", "subtrahend=23")
    assert (run.status, run.json) == (0, 19)
    run = await rpc_hub(server, "call", "calc.sum", "1", "2.5", "-4")
    assert run.json == -0.5


async def test_values_are_json_where_they_parse(server: ServerProcess) -> None:
    """Each value as the server received it (probe.echo returns it); more in test_cli_args."""
    run = await rpc_hub(server, "call", "probe.echo", 'value={"a": [1, "x=y", true, null]}')
    assert (run.status, run.json) == (0, {"a": [1, "x=y", True, None]})
    for given, sent in [("London", "London"), ('"5"', "5"), ("a=b", "a=b")]:
        run = await rpc_hub(server, "call", "probe.echo", f"value={given}")
        assert (run.status, run.json) == (0, sent)


async def test_a_json_rpc_error_exits_non_zero(server: ServerProcess) -> None:
    run = await rpc_hub(server, "call", "calc.divide", "1", "0")
    assert run.status == 1
    assert run.out == ""
    assert orjson.loads(run.err) == {
        "code": 1001,
        "message": "Division by zero",
        "data": {"dividend": 1},
    }
    run = await rpc_hub(server, "call", "calc.add", "1", "x")
    assert run.status == 1
    assert orjson.loads(run.err)["code"] == -32602


async def test_raw_prints_the_response_itself(server: ServerProcess) -> None:
    run = await rpc_hub(server, "call", "--raw", "calc.add", "2", "3")
    assert (run.status, run.json) == (0, {"jsonrpc": "2.0", "result": 5, "id": 1})
    run = await rpc_hub(server, "call", "--raw", "calc.nope")
    assert run.status == 1
    assert run.json["error"]["code"] == -32601


BATCH = [
    {"jsonrpc": "2.0", "method": "calc.sum", "params": [1, 2, 4], "id": "s"},
    {"jsonrpc": "2.0", "method": "calc.update", "params": [1]},
    {"jsonrpc": "2.0", "method": "calc.divide", "params": [1, 0], "id": 2},
]


async def test_batch_from_a_file_and_from_stdin(server: ServerProcess, tmp_path: Path) -> None:
    path = tmp_path / "batch.json"
    path.write_bytes(orjson.dumps(BATCH))
    expected = [
        {"jsonrpc": "2.0", "result": 7, "id": "s"},
        {
            "jsonrpc": "2.0",
            "error": {"code": 1001, "message": "Division by zero", "data": {"dividend": 1}},
            "id": 2,
        },
    ]
    from_file = await rpc_hub(server, "call", "--batch", str(path))
    from_stdin = await rpc_hub(server, "call", "--batch", "-", stdin=orjson.dumps(BATCH))
    for run in (from_file, from_stdin):
        assert (run.status, run.json) == (1, expected)  # one item failed
    run = await rpc_hub(server, "call", "--batch", "-", stdin=orjson.dumps(BATCH[:1]))
    assert (run.status, run.json) == (0, expected[:1])
    run = await rpc_hub(server, "call", "--batch", "-", stdin=orjson.dumps(BATCH[1:2]))
    assert (run.status, run.out) == (0, "")  # only a notification: nothing comes back


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["call", "calc.add", "a=1", "2"], b"", "either all as key=value"),
        (["call"], b"", "name a method"),
        (["call", "--batch", "-"], b"{not json", "standard input is not JSON"),
        (["call", "--batch", "-"], b'{"a": 1}', "must hold a JSON array"),
        (["call", "--batch", "/nonexistent/batch.json"], b"", "cannot read"),
        (["call", "--batch", "-"], b'[{"id": 123456789012345678901234567890}]', "64-bit"),
    ],
)
async def test_bad_usage_exits_2_with_one_line(
    server: ServerProcess, args: list[str], stdin: bytes, message: str
) -> None:
    run = await rpc_hub(server, *args, stdin=stdin)
    assert run.status == 2
    assert message in run.err
    assert run.err.startswith("rpc-hub: ") and run.err.count("\n") == 1


async def test_an_unreachable_server_is_one_line_without_traceback() -> None:
    run = await rpc_hub(None, "call", "--url", "http://127.0.0.1:1/rpc", "calc.add", "1", "2")
    assert run.status == 3
    assert run.err == "rpc-hub: cannot connect to http://127.0.0.1:1/rpc (Connection refused)\n"
    run = await rpc_hub(None, "methods", RPC_URL="http://127.0.0.1:1/rpc")
    assert (run.status, run.err.count("\n")) == (3, 1)
    assert "Traceback" not in run.err


async def test_a_server_that_is_not_json_rpc(server: ServerProcess) -> None:
    run = await rpc_hub(server, "call", "--url", f"{server.url}/healthz", "calc.add", "1", "2")
    assert run.status == 1  # 405 comes with a JSON-RPC error body
    assert "POST" in orjson.loads(run.err)["message"]


async def test_a_server_that_does_not_answer_with_json_rpc_exits_3() -> None:
    async def gateway(request: web.Request) -> web.Response:
        return web.Response(status=502, text="<h1>Bad gateway</h1>", content_type="text/html")

    proxy = web.Application()
    proxy.router.add_post("/rpc", gateway)
    async with TestServer(proxy) as site:
        url = str(site.make_url("/rpc"))
        run = await rpc_hub(None, "call", "--url", url, "calc.add", "1", "2")
    assert run.status == 3
    assert run.err == f"rpc-hub: {url} did not answer with JSON-RPC (HTTP 502)\n"


async def test_token_from_flag_or_environment(server: ServerProcess) -> None:
    run = await rpc_hub(server, "call", "probe.admin")
    assert (run.status, orjson.loads(run.err)["code"]) == (1, -32001)
    run = await rpc_hub(server, "call", "--token", ADMIN_TOKEN, "probe.admin")
    assert (run.status, run.json) == (0, "ok")
    run = await rpc_hub(server, "call", "probe.admin", RPC_TOKEN=ADMIN_TOKEN)
    assert (run.status, run.json) == (0, "ok")


async def test_methods_lists_every_method_with_its_summary(server: ServerProcess) -> None:
    run = await rpc_hub(server, "methods")
    assert run.status == 0
    lines = run.out.splitlines()
    assert "calc.add\tAdd two numbers." in lines
    assert "probe.old\tA deprecated method." in lines
    discovered = await rpc_hub(server, "call", "rpc.discover")
    assert [line.split("\t")[0] for line in lines] == [
        method["name"] for method in discovered.json["methods"]
    ]


async def test_on_a_terminal_output_is_pretty_and_colored(server: ServerProcess) -> None:
    run = await rpc_hub_on_a_terminal(server, "call", "calc.get_data")
    assert run.status == 0
    assert ANSI in run.out
    assert '"hello"' in run.out and "\n" in run.out.strip()  # indented over several lines

    run = await rpc_hub_on_a_terminal(server, "call", "calc.divide", "1", "0")
    assert run.status == 1
    assert "\x1b[1;31merror 1001\x1b[0m: Division by zero" in run.out
    assert '"dividend"' in run.out


async def test_on_a_terminal_batches_and_methods_are_tables(
    server: ServerProcess, tmp_path: Path
) -> None:
    path = tmp_path / "batch.json"
    path.write_bytes(orjson.dumps(BATCH))
    run = await rpc_hub_on_a_terminal(server, "call", "--batch", str(path))
    assert run.status == 1
    rows = [line for line in run.out.splitlines() if "calc." in line]
    assert len(rows) == 2
    assert "calc.sum" in rows[0] and "7" in rows[0]
    assert "calc.divide" in rows[1] and "error 1001: Division by zero" in rows[1]
    assert ANSI in run.out

    run = await rpc_hub_on_a_terminal(server, "methods")
    assert run.status == 0
    assert "━" in run.out and ANSI in run.out
    assert any("calc.add" in line and "Add two numbers." in line for line in run.out.splitlines())
    assert any("probe.old" in line and "deprecated" in line for line in run.out.splitlines())
