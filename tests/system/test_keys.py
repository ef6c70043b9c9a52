"""Keys end to end: made with ``rpc-hub keys``, served by a real process, reloaded on SIGHUP."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp

from tests.helpers.server_process import ServerProcess, server_process

CLI = [sys.executable, "-m", "app.cli", "keys"]


def keys(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, check=False, timeout=30)


async def call(server: ServerProcess, key: str | None, method: str = "calc.add") -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    payload = {"jsonrpc": "2.0", "method": method, "params": [2, 3], "id": 1}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{server.url}/rpc", json=payload, headers=headers) as response,
    ):
        return await response.json()


async def reload(server: ServerProcess) -> None:
    """SIGHUP the server and wait for its log to say the keys were read again."""
    loads = sum("keys loaded from" in line for line in server.log)
    server.process.send_signal(signal.SIGHUP)
    await server.logged("keys loaded from", times=loads + 1)


async def test_new_list_revoke_and_reload(tmp_path: Path) -> None:
    path = str(tmp_path / "keys.jsonl")
    made = keys("new", "--name", "ci", "--scopes", "calc", "--file", path)
    assert made.returncode == 0
    key = made.stdout.strip()  # stdout is the key alone, for scripts to capture
    assert key.startswith("rpch_") and "\n" not in key
    key_id = key.split("_")[1]
    assert key not in await asyncio.to_thread(Path(path).read_text)

    env = {"RPC_KEYS_FILE": path, "RPC_ANONYMOUS_SCOPES": "", "RPC_AUTH_FAILURE_DELAY_S": "0"}
    async with server_process(env=env) as server:
        assert any("every call needs a key" in line for line in server.log)
        assert (await call(server, key))["result"] == 5
        assert (await call(server, None))["error"]["code"] == -32001

        later = keys("new", "--name", "late", "--scopes", "calc", "--file", path).stdout.strip()
        assert (await call(server, later))["error"]["data"]["reason"] == "unknown key"
        await reload(server)
        assert (await call(server, later))["result"] == 5

        assert keys("revoke", key_id, "--file", path).returncode == 0
        listing = keys("list", "--file", path).stdout
        assert f"{key_id}  revoked  ci  calc" in listing
        assert key not in listing
        assert (await call(server, key))["result"] == 5  # until the server is told
        await reload(server)
        assert (await call(server, key))["error"]["data"]["reason"] == "the key was revoked"
    assert keys("revoke", "nobody", "--file", path).returncode == 1


async def test_the_start_up_line_says_what_anonymous_calls_may_do() -> None:
    async with server_process() as server:
        await call(server, None)
    [line] = [line for line in server.log if "without a key" in line]
    assert "calls without a key may use: calc, cart, chat, game, metrics," in line
    assert "admin" not in line.split("(")[0]
