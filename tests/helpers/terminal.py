"""A real ``rpc-hub`` process on a pseudo-terminal (``pty``): the screen it draws, as text
without colors, and a keyboard to type on."""

from __future__ import annotations

import asyncio
import os
import pty
import re
import sys
from pathlib import Path

RPC_HUB = str(Path(sys.executable).with_name("rpc-hub"))
WAIT_S = 30.0
"""A bound on a hang, never a pass condition."""
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Terminal:
    """``rpc-hub ARGS`` on a pseudo-terminal: what it shows, and a keyboard to type on."""

    def __init__(self, process: asyncio.subprocess.Process, leader: int) -> None:
        self.process = process
        self.leader = leader
        self.screen = ""
        """What it showed, without its colors."""
        self.raw = b""
        self._changed = asyncio.Event()
        os.set_blocking(leader, False)
        asyncio.get_running_loop().add_reader(leader, self._read)

    def _read(self) -> None:
        try:
            chunk = os.read(self.leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            chunk = b""
        if not chunk:
            asyncio.get_running_loop().remove_reader(self.leader)
        self.raw += chunk
        self.screen += _ANSI.sub("", chunk.decode(errors="replace")).replace("\r", "")
        self._changed.set()

    async def shows(self, text: str) -> None:
        """Wait until ``text`` is on the screen."""
        async with asyncio.timeout(WAIT_S):
            while text not in self.screen:
                self._changed.clear()
                await self._changed.wait()

    def type(self, line: str) -> None:
        os.write(self.leader, line.encode() + b"\n")

    async def exited(self) -> int:
        async with asyncio.timeout(WAIT_S):
            return await self.process.wait()

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self.leader)
        os.close(self.leader)


async def terminal(server_url: str, *args: str) -> Terminal:
    """Start ``rpc-hub ARGS`` against the server at ``server_url`` on a new pty."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("RPC_TOKEN", "NO_COLOR")}
    process = await asyncio.create_subprocess_exec(
        RPC_HUB,
        *args,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**env, "RPC_URL": f"{server_url}/rpc", "TERM": "xterm-256color", "COLUMNS": "120"},
    )
    os.close(follower)
    return Terminal(process, leader)
