"""The servers the targets compare (issue 19): the ceiling, rpc-hub with its defaults, rpc-hub
with every layer on, and the opt-in peers (`bench/peers`), each a command the bench starts.

"All layers on" is the issue's target configuration: the defaults (metrics and the call log
on) plus a keys file, no anonymous scopes (so every call's key is checked), and the rate
limiter on but out of reach.
"""

from __future__ import annotations

import contextlib
import importlib.util
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bench import scenarios, servers

CEILING = "ceiling"
DEFAULTS = "rpc-hub defaults"
ALL_LAYERS = "rpc-hub, all layers on"
ALL_LAYERS_SETTINGS = (
    "the defaults (metrics and the call log on) plus a keys file and one key sent as"
    " `Authorization: Bearer`, no anonymous scopes, the rate limiter on (out of reach)"
)

LOOP: Literal["asyncio", "uvloop"] = (
    "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"
)
"""The event loop the ceiling and the peers run on: uvloop where the bench's venv has it (as
the issue's ceiling does), so that they never get a loop rpc-hub cannot have."""

Kind = Literal["ceiling", "rpc-hub", "peer"]


@dataclass(frozen=True)
class Keys:
    """A keys file with one key, made as an operator would (`rpc-hub keys new --file`)."""

    path: Path
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def new_keys(directory: Path, scopes: str = "calc,weather") -> Keys:
    path = directory / "bench-keys.jsonl"
    command = [sys.executable, "-m", "app.cli", "keys", "new", "--name", "bench"]
    made = subprocess.run(
        [*command, "--scopes", scopes, "--file", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return Keys(path, made.stdout.strip())  # the key alone on stdout; the note goes to stderr


def all_layers_flags(keys: Keys) -> tuple[str, ...]:
    """Every layer on: keys, no anonymous scopes, metrics, call log (the limiter is in the
    throughput flags every load scenario passes)."""
    return ("--keys-file", str(keys.path), "--anonymous-scopes", "", "--metrics", "--call-log")


@dataclass(frozen=True)
class Variant:
    name: str
    kind: Kind
    command: Sequence[str]
    ready: tuple[str, int]
    headers: dict[str, str] = field(default_factory=dict)
    """Sent with every request (the bearer key)."""
    named_params: bool = False
    """The server takes params by name only."""
    cwd: Path | None = None
    """Where it runs: an older revision's tree (`bench.revisions`); None: here."""

    @property
    def slug(self) -> str:
        return "".join(c if c.isalnum() else "-" for c in self.name.lower()).strip("-")


def ceiling() -> Variant:
    return Variant(
        CEILING, "ceiling", [*servers.ceiling_command(), "--loop", LOOP], servers.CEILING_READY
    )


def defaults(*flags: str) -> Variant:
    command = servers.app_command(*scenarios.APP_FLAGS, *flags)
    return Variant(DEFAULTS, "rpc-hub", command, servers.APP_READY)


def all_layers(keys: Keys, *flags: str) -> Variant:
    command = servers.app_command(*scenarios.APP_FLAGS, *all_layers_flags(keys), *flags)
    return Variant(ALL_LAYERS, "rpc-hub", command, servers.APP_READY, keys.headers)


@dataclass(frozen=True)
class Running:
    variant: Variant
    server: servers.Server


@contextlib.contextmanager
def running(variants: Sequence[Variant], cpu: int | None, logs: Path) -> Iterator[list[Running]]:
    """Start every variant (each on ``cpu``) and keep them all up until the block ends."""
    with contextlib.ExitStack() as stack:
        yield [
            Running(
                variant,
                stack.enter_context(
                    servers.running(
                        variant.name,
                        variant.command,
                        cpu,
                        logs / f"{variant.slug}.log",
                        variant.ready,
                        cwd=variant.cwd,
                    )
                ),
            )
            for variant in variants
        ]
