"""The hashed lock files `make lock` writes (uv's requirements format), read offline."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from tests.helpers.server_process import ROOT

RUNTIME = ROOT / "requirements.lock"
"""The server's dependencies: what `make install` and the Docker image install."""
DEV = ROOT / "requirements-dev.lock"
"""Those plus the dev extra (with the test and otel extras it names): `make install-dev`."""

_PIN = re.compile(r"^(?P<requirement>[^\s\\][^\\]*?)\s*\\?$")
_HASH = re.compile(r"^\s+--hash=sha256:(?P<digest>[0-9a-f]{64})\s*\\?$")


@dataclass
class Pin:
    name: NormalizedName
    version: Version
    marker: Marker | None
    hashes: list[str]
    via: list[str]

    def applies(self, environment: dict[str, str]) -> bool:
        return self.marker is None or self.marker.evaluate(environment)


def read_lock(path: Path) -> list[Pin]:
    """Every pin in a lock file, with its hashes and uv's `# via` annotations."""
    pins: list[Pin] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        if line.lstrip().startswith("#"):
            # `# via a` or `# via` then `#   a` lines: what asks for the pin above.
            source = re.sub(r"^via\b", "", line.strip("# ")).strip()
            if pins and source:
                pins[-1].via.append(source)
            continue
        if hashed := _HASH.match(line):
            assert pins, f"{path.name}:{number}: a hash before any pin"
            pins[-1].hashes.append(hashed["digest"])
            continue
        pinned = _PIN.match(line)
        assert pinned, f"{path.name}:{number}: neither a pin nor a hash: {line!r}"
        requirement = Requirement(pinned["requirement"])
        [spec] = requirement.specifier
        assert spec.operator == "==", f"{path.name}:{number}: not an exact pin: {line!r}"
        pins.append(
            Pin(
                canonicalize_name(requirement.name),
                Version(spec.version),
                requirement.marker,
                [],
                [],
            )
        )
    return pins


def environment(machine: str, python: str) -> dict[str, str]:
    """The marker variables of CPython `python` on Linux on `machine`."""
    return {
        "implementation_name": "cpython",
        "implementation_version": python,
        "os_name": "posix",
        "platform_machine": machine,
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": "Linux",
        "platform_version": "",
        "python_full_version": python,
        "python_version": ".".join(python.split(".")[:2]),
        "sys_platform": "linux",
    }


def chosen(pins: list[Pin], env: dict[str, str]) -> dict[NormalizedName, Version]:
    """What pip installs from the lock on `env`: one version per package."""
    applying = [pin for pin in pins if pin.applies(env)]
    versions = {pin.name: pin.version for pin in applying}
    assert len(versions) == len(applying), "two pins of one package apply together"
    return versions
