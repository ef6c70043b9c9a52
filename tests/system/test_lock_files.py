"""The hashed lock files against pyproject.toml, read offline: `make lock` writes them, `make
install`, `make install-dev` and the Dockerfile install them with `--require-hashes`.

requirements.lock holds the server's dependencies, requirements-dev.lock those plus the dev
extra (with the test and otel extras it names). Both are universal (markers pick per machine),
so they are checked as pip would read them on Python 3.11 for Linux on x86_64 and aarch64.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.helpers.lock_files import DEV, RUNTIME, chosen, environment, read_lock
from tests.helpers.server_process import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
NAME = canonicalize_name(PROJECT["name"])
DIRECT = f"{PROJECT['name']} (pyproject.toml)"
"""uv's annotation on a pin that pyproject.toml asks for by name."""

TARGETS = [
    pytest.param(environment(machine, python), id=f"linux-{machine}-py{python}")
    for machine in ("x86_64", "aarch64")
    # The floor of 3.11 and a late patch release: markers such as async-timeout's split there.
    for python in ("3.11.0", "3.11.14")
]


def requirements(extras: list[str]) -> list[Requirement]:
    """pyproject's dependencies plus `extras`, with the project's own extras expanded."""
    found = [Requirement(text) for text in PROJECT["dependencies"]]
    pending, seen = list(extras), set()
    while pending:
        extra = pending.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for text in PROJECT["optional-dependencies"][extra]:
            requirement = Requirement(text)
            if canonicalize_name(requirement.name) == NAME:
                pending.extend(requirement.extras)
            else:
                found.append(requirement)
    return found


LOCKS = [
    pytest.param(RUNTIME, [], id="requirements.lock"),
    pytest.param(DEV, ["dev"], id="requirements-dev.lock"),
]


@pytest.mark.parametrize(("lock", "extras"), LOCKS)
def test_every_pin_is_exact_and_hashed(lock: Path, extras: list[str]) -> None:
    pins = read_lock(lock)
    assert pins
    assert all(pin.hashes for pin in pins), [pin.name for pin in pins if not pin.hashes]
    assert NAME not in {pin.name for pin in pins}, "the project installs from the tree (--no-deps)"
    header = lock.read_text().splitlines()[:2]
    assert header[1].strip("# ") == "make lock", "the header says how to refresh the file"


@pytest.mark.parametrize(("lock", "extras"), LOCKS)
@pytest.mark.parametrize("env", TARGETS)
def test_the_lock_pins_every_dependency_within_its_bound(
    lock: Path, extras: list[str], env: dict[str, str]
) -> None:
    versions = chosen(read_lock(lock), env)
    for requirement in requirements(extras):
        if requirement.marker is not None and not requirement.marker.evaluate(env):
            continue
        name = canonicalize_name(requirement.name)
        assert name in versions, f"{requirement} is not in {lock.name}: run `make lock`"
        assert requirement.specifier.contains(versions[name], prereleases=True), (
            f"{lock.name} pins {name}=={versions[name]}, outside {requirement}: run `make lock`"
        )


@pytest.mark.parametrize(("lock", "extras"), LOCKS)
def test_the_lock_was_written_from_this_pyproject(lock: Path, extras: list[str]) -> None:
    """A dependency removed from pyproject.toml leaves no direct pin behind."""
    direct = {pin.name for pin in read_lock(lock) if DIRECT in pin.via}
    assert direct == {canonicalize_name(r.name) for r in requirements(extras)}, "run `make lock`"


@pytest.mark.parametrize("env", TARGETS)
def test_the_tests_run_the_versions_the_image_ships(env: dict[str, str]) -> None:
    """The dev lock is compiled under the server's as a constraint, so the two agree."""
    shipped, tested = chosen(read_lock(RUNTIME), env), chosen(read_lock(DEV), env)
    assert {name: tested.get(name) for name in shipped} == shipped
    hashes = {pin.name: pin.hashes for pin in read_lock(DEV)}
    assert all(hashes[pin.name] == pin.hashes for pin in read_lock(RUNTIME))
