"""Every shell example in README.md and docs/*.md, run as written against a live server.

The rules for writing them are in tests/helpers/snippets.py. Each file gets one fresh
``python -m app`` (with the demo data, `RPC_DEMO=1`, and an admin token in
`RPC_ADMIN_TOKEN`), and its blocks run in document order, each in its own bash, in an
empty directory where `.venv` is this environment. `localhost:8080` and `127.0.0.1:8080`
become the server's port, and `RPC_URL` points `rpc-hub` at it. Standard input is a
terminal, as it is for a reader, so that `http key=value` does not wait for a body; and curl
shows no progress meter, as on a terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pty
import re
import secrets
import signal
import sys
from pathlib import Path

import pytest

from tests.helpers.server_process import ROOT, server_process
from tests.helpers.snippets import Page, Snippet, check, read_page

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ADMIN_TOKEN = secrets.token_urlsafe(32)
BLOCK_TIMEOUT_S = 30
ADDRESS = re.compile(r"\b(?:localhost|127\.0\.0\.1):8080\b")
MARK = "@@snippet-exit@@"
SPLIT = re.compile(rf"\n{MARK} (\d+)\n")

MIN_COMMANDS = 80
"""Fewer commands than this run, and the docs have lost their examples (or the parser, its way)."""
MAX_SKIPPED = 10


def pages() -> dict[str, Page]:
    return {str(path.relative_to(ROOT)): read_page(path, ROOT) for path in PAGES}


def skipped() -> list[Snippet]:
    return [snippet for page in pages().values() for snippet in page.snippets if snippet.skip]


def script(snippet: Snippet, port: int) -> str:
    """The block as one bash script that prints each command's exit status after it."""
    lines: list[str] = []
    for command in snippet.commands:
        lines.append(ADDRESS.sub(f"127.0.0.1:{port}", command.text))
        lines.append(f"printf '\\n{MARK} %s\\n' \"$?\"")
    return "\n".join(lines) + "\n"


async def run(snippet: Snippet, port: int, cwd: Path) -> list[tuple[str, int]] | None:
    """Run one block; each command's output (stdout and stderr) and exit status.

    None if the block was still running after `BLOCK_TIMEOUT_S`.
    """
    environ = {key: value for key, value in os.environ.items() if not key.startswith("RPC_")}
    environ.update(
        PATH=f"{Path(sys.prefix) / 'bin'}{os.pathsep}{os.environ['PATH']}",
        RPC_URL=f"http://127.0.0.1:{port}/rpc",
        RPC_ADMIN_TOKEN=ADMIN_TOKEN,
        HTTPIE_CONFIG_DIR=str(cwd / ".httpie"),
        CURL_HOME=str(cwd),  # its .curlrc: no progress meter, which a terminal would not show
    )
    terminal, reader_side = pty.openpty()
    try:
        process = await asyncio.create_subprocess_exec(
            "bash",
            "--noprofile",
            "--norc",
            "-c",
            script(snippet, port),
            stdin=reader_side,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            cwd=cwd,
            env=environ,
            start_new_session=True,  # its own process group, so background jobs end with it
        )
    finally:
        os.close(reader_side)
    try:
        async with asyncio.timeout(BLOCK_TIMEOUT_S):
            output, _ = await process.communicate()
    except TimeoutError:
        return None
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        os.close(terminal)
    parts = SPLIT.split(output.decode(errors="replace"))
    return [(parts[i], int(parts[i + 1])) for i in range(0, len(parts) - 1, 2)]


@pytest.mark.parametrize("name", list(pages()))
async def test_snippets_run_as_written(name: str, tmp_path: Path) -> None:
    page = pages()[name]
    runnable = [snippet for snippet in page.snippets if snippet.skip is None]
    if not runnable:
        return
    (tmp_path / ".venv").symlink_to(sys.prefix)
    (tmp_path / "docs").symlink_to(ROOT / "docs")  # read-only files snippets name
    (tmp_path / ".curlrc").write_text("--no-progress-meter\n")
    failures: list[str] = []
    server_env = {"RPC_DEMO": "1", "RPC_ADMIN_TOKEN": ADMIN_TOKEN}
    async with server_process(*page.serve, env=server_env) as server:
        for snippet in runnable:
            results = await run(snippet, server.port, tmp_path)
            if results is None:
                failures.append(f"{snippet.where}: still running after {BLOCK_TIMEOUT_S} s")
                continue
            assert len(results) == len(snippet.commands), (
                f"{snippet.where}: {len(snippet.commands)} commands, but {len(results)} ran:"
                f"\n{results}"
            )
            for command, (output, status) in zip(snippet.commands, results, strict=True):
                if (problem := check(command.shown, output, status)) is not None:
                    failures.append(
                        f"{name}:{command.line}: {problem}\n$ {command.text}\n"
                        f"--- shown\n{command.shown.text}\n--- printed (exit {status})\n{output}"
                    )
    assert not failures, f"{len(failures)} commands do not run as written:\n\n" + "\n\n".join(
        failures
    )


@pytest.mark.parametrize("snippet", skipped(), ids=lambda snippet: snippet.where)
def test_skipped_snippets_say_why(snippet: Snippet) -> None:
    pytest.skip(f"{snippet.where}: {snippet.skip}")


def test_enough_snippets_run() -> None:
    runnable = [
        command
        for page in pages().values()
        for snippet in page.snippets
        if snippet.skip is None
        for command in snippet.commands
    ]
    assert len(runnable) >= MIN_COMMANDS
    assert len(skipped()) <= MAX_SKIPPED, [snippet.where for snippet in skipped()]
    shown = [command for command in runnable if command.shown.kind in ("json", "status", "text")]
    assert len(shown) >= MIN_COMMANDS // 2, "most examples should show what they print"
