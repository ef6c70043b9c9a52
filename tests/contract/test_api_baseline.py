"""The served API keeps the promises of its published baseline (docs/api/openrpc-X.Y.Z.json),
or its version says it breaks them.

The rule is semver's: a breaking change needs a new major version. Before 1.0 semver itself
promises nothing, so we read 0.x versions as Cargo reads caret requirements: the first
non-zero part is the major. 0.1.0 to 0.1.5 must break nobody; 0.1.5 to 0.2.0 may break
clients, and so may 0.0.3 to 0.0.4. A release that breaks the baseline bumps `API_VERSION`
(handlers/__init__.py) to the next major, and publishes its own document as the new baseline.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest

from app.rpc.openrpc_diff import allows_breaking, breaking, diff, release
from app.server import build_api
from app.settings import Settings
from handlers import API_VERSION

BASELINES = Path(__file__).parents[2] / "docs" / "api"


def baselines() -> dict[tuple[int, int, int], Path]:
    found = {}
    for path in BASELINES.glob("openrpc-*.json"):
        found[release(path.stem.removeprefix("openrpc-"))] = path
    return found


def latest() -> dict[str, Any]:
    """The newest published baseline."""
    found = baselines()
    document: dict[str, Any] = orjson.loads(found[max(found)].read_bytes())
    return document


def served() -> dict[str, Any]:
    return build_api(Settings())[1]


def refusals(baseline: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Why `current` may not ship after `baseline`: its breaking changes, unless its version
    is a new major release of the baseline's."""
    old, new = baseline["info"]["version"], current["info"]["version"]
    problems = []
    if release(new) < release(old):
        problems.append(f"the version went back, from {old} to {new}")
    broken = breaking(diff(baseline, current))
    if broken and not allows_breaking(old, new):
        problems += [f"{change} (needs a new major version after {old})" for change in broken]
    return problems


def test_the_served_api_keeps_its_baseline_or_is_a_new_major() -> None:
    assert refusals(latest(), served()) == []


def test_the_served_version_is_the_api_version() -> None:
    assert served()["info"]["version"] == API_VERSION
    release(API_VERSION)  # semver, or this raises


def test_each_baseline_is_named_for_the_version_it_holds() -> None:
    found = baselines()
    assert found, f"no baseline in {BASELINES}"
    for version, path in found.items():
        assert release(orjson.loads(path.read_bytes())["info"]["version"]) == version, path


def test_a_new_major_version_publishes_its_baseline() -> None:
    """Else the next breaking change would be checked against the old major's baseline, which
    this version is allowed to break."""
    found = baselines()
    newest = ".".join(map(str, max(found)))
    assert not allows_breaking(newest, API_VERSION), (
        f"{API_VERSION} is a new major version: publish its document, "
        f"rpc-hub openrpc > docs/api/openrpc-{API_VERSION}.json"
    )


def _without_a_param(document: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    divide = next(m for m in changed["methods"] if m["name"] == "calc.divide")
    divide["params"] = [p for p in divide["params"] if p["name"] != "divisor"]
    return changed


def _versioned(document: dict[str, Any], version: str) -> dict[str, Any]:
    return document | {"info": document["info"] | {"version": version}}


@pytest.mark.parametrize(
    ("version", "allowed"),
    [("0.1.0", False), ("0.1.1", False), ("0.2.0", True), ("1.0.0", True)],
)
def test_a_breaking_change_passes_only_with_a_new_major(version: str, allowed: bool) -> None:
    baseline = _versioned(served(), "0.1.0")
    broken = _versioned(_without_a_param(baseline), version)
    problems = refusals(baseline, broken)
    if allowed:
        assert problems == []
    else:
        assert problems == [
            "breaking calc.divide: param divisor removed (needs a new major version after 0.1.0)"
        ]


def test_an_additive_change_passes_with_the_same_version() -> None:
    baseline = _without_a_param(served())  # the current one adds it back: a required param
    baseline["methods"] = [m for m in baseline["methods"] if m["name"] != "calc.divide"]
    assert refusals(baseline, served()) == []


def test_the_version_may_not_go_back() -> None:
    assert refusals(_versioned(served(), "0.2.0"), _versioned(served(), "0.1.9")) == [
        "the version went back, from 0.2.0 to 0.1.9"
    ]
