"""Before and after: rpc-hub at several git revisions, every layer on, in one interleaved run.

    python -m bench --only revisions --revisions 6e5b74f bff0284 HEAD [--revision-flags …]

Each revision's `app/` and `handlers/` are exported with `git archive` into a scratch
directory (the repository is not touched), and `python -m app` runs there with this venv, so
each server is that revision's code on today's dependencies. All of them, with the ceiling,
take the same single calls and batches of 100 in interleaved rounds: one machine, one
moment, which separate runs on a shared machine cannot give (their ceilings differed by 30%
here). A revision may carry flags after a colon: `HEAD:--loop=asyncio`.
"""

from __future__ import annotations

import subprocess
import tarfile
from dataclasses import replace
from io import BytesIO
from pathlib import Path

from bench.variants import Keys, Variant, all_layers

ROOT = Path(__file__).resolve().parents[1]
TREES = ("app", "handlers")


def export(revision: str, into: Path) -> Path:
    """``revision``'s app and handlers under ``into``; the directory to run the server in."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision, *TREES],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def variants(revisions: list[str], keys: Keys, scratch: Path) -> list[Variant]:
    """One variant per ``revision[:flag,flag]``, every layer on, named by its short hash."""
    out: list[Variant] = []
    for spec in revisions:
        revision, _, flags = spec.partition(":")
        short = subprocess.run(
            ["git", "rev-parse", "--short", revision],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        extra = tuple(flag for flag in flags.split(",") if flag)
        tree = export(revision, scratch / f"rev-{len(out)}-{short}")
        base = all_layers(keys, *extra)
        label = f"{short} {' '.join(extra)}".strip()
        out.append(replace(base, name=f"rpc-hub {label}", cwd=tree))
    return out
