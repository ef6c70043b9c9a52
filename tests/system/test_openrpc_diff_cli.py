"""`rpc-hub openrpc --diff OLD.json`, run as a process: each change on a line of its own,
marked breaking or additive, and exit status 1 when any is breaking."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest

from app.rpc.openrpc_diff import release
from handlers import API_VERSION

ROOT = Path(__file__).parents[2]
RPC_HUB = str(Path(sys.executable).with_name("rpc-hub"))
BASELINE = max(
    (ROOT / "docs" / "api").glob("openrpc-*.json"),
    key=lambda path: release(path.stem.removeprefix("openrpc-")),
)
"""The newest published baseline."""


def rpc_hub(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    # Settings come from RPC_* variables too; none may change what this server serves.
    env = {key: value for key, value in os.environ.items() if not key.startswith("RPC_")}
    return subprocess.run(
        [RPC_HUB, *args],
        input=stdin.decode(),
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


@cache
def _current() -> bytes:
    run = rpc_hub("openrpc")
    assert run.returncode == 0, run.stderr
    return run.stdout.encode()


def current() -> dict[str, Any]:
    """The document `rpc-hub openrpc` prints, as a fresh copy to plant changes in."""
    document: dict[str, Any] = orjson.loads(_current())
    return document


def method(document: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(m for m in document["methods"] if m["name"] == name)
    return found


def without_a_param(document: dict[str, Any]) -> None:
    divide = method(document, "calc.divide")
    divide["params"] = [p for p in divide["params"] if p["name"] != "divisor"]


def with_a_method(document: dict[str, Any]) -> None:
    power = copy.deepcopy(method(document, "calc.multiply")) | {"name": "calc.power"}
    document["methods"].append(power)


def with_a_wider_param(document: dict[str, Any]) -> None:
    units = next(p for p in method(document, "weather.current")["params"] if p["name"] == "units")
    units["schema"]["enum"].append("R")


def without_a_method(document: dict[str, Any]) -> None:
    document["methods"] = [m for m in document["methods"] if m["name"] != "calc.sum"]


def without_an_optional_param(document: dict[str, Any]) -> None:
    params = method(document, "weather.current")["params"]
    method(document, "weather.current")["params"] = [p for p in params if p["name"] != "units"]


Plant = Callable[[dict[str, Any]], None]
PLANTED: list[tuple[Plant, int, list[str]]] = [
    (without_a_param, 1, ["breaking calc.divide: new required param divisor"]),
    (with_a_method, 1, ["breaking calc.power: method removed"]),
    (with_a_wider_param, 1, ['breaking weather.current: param units: enum value "R" removed']),
    (without_a_method, 0, ["additive calc.sum: new method"]),
    (without_an_optional_param, 0, ["additive weather.current: new optional param units"]),
]


@pytest.mark.parametrize(
    ("plant", "status", "lines"), PLANTED, ids=[plant.__name__ for plant, *_ in PLANTED]
)
def test_an_old_document_with_a_planted_change(
    tmp_path: Path, plant: Plant, status: int, lines: list[str]
) -> None:
    """OLD is today's document with one change planted: the current code reverses it."""
    old = current()
    plant(old)
    path = tmp_path / "old.json"
    path.write_bytes(orjson.dumps(old))
    run = rpc_hub("openrpc", "--diff", str(path))
    assert (run.returncode, run.stdout.splitlines()) == (status, lines), run.stderr
    kind = "1 breaking, 0 additive" if status else "0 breaking, 1 additive"
    since = f"since {API_VERSION} (now {API_VERSION})"
    assert f"rpc-hub openrpc: 1 change {since}: {kind}" in run.stderr


def test_the_published_baseline_has_no_breaking_change() -> None:
    run = rpc_hub("openrpc", "--diff", str(BASELINE))
    assert run.returncode == 0, run.stdout + run.stderr
    assert not [line for line in run.stdout.splitlines() if not line.startswith("additive ")]


def test_old_documents_are_read_from_stdin_with_a_dash() -> None:
    old = current()
    without_a_param(old)
    run = rpc_hub("openrpc", "--diff", "-", stdin=orjson.dumps(old))
    assert run.returncode == 1
    assert run.stdout == "breaking calc.divide: new required param divisor\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{", "old.json: unexpected end of data"),
        (b'{"openrpc": "1.3.2"}', "old.json: not an OpenRPC document: it has no list of methods"),
    ],
)
def test_a_file_that_is_no_openrpc_document_exits_2(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "old.json"
    path.write_bytes(content)
    run = rpc_hub("openrpc", "--diff", str(path))
    assert run.returncode == 2
    assert run.stdout == ""
    assert message in run.stderr


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    run = rpc_hub("openrpc", "--diff", str(tmp_path / "nope.json"))
    assert run.returncode == 2
    assert "cannot read" in run.stderr and "No such file or directory" in run.stderr


def test_without_diff_it_prints_the_document() -> None:
    document = current()
    assert document["info"]["version"] == API_VERSION
    assert {m["name"] for m in document["methods"]} >= {"calc.add", "tasks.submit"}
