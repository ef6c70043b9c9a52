"""The import contracts in pyproject.toml hold, and they do catch a violation."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.helpers.server_process import ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": str(LINT_IMPORTS.parent), "PYTHONPATH": str(tree)},
    )


def test_the_tree_keeps_every_contract() -> None:
    result = lint_imports(Path(ROOT))
    assert result.returncode == 0, result.stdout
    assert "0 broken" in result.stdout


def planted(tree: Path, module: str) -> subprocess.CompletedProcess[str]:
    """lint-imports on a copy of the tree whose handlers/cart.py also imports ``module``."""
    for part in ("app", "handlers", "examples"):
        shutil.copytree(Path(ROOT) / part, tree / part)
    shutil.copy(Path(ROOT) / "pyproject.toml", tree)
    handler = tree / "handlers" / "cart.py"
    handler.write_text(handler.read_text() + f"\nimport {module}  # noqa: E402, F401\n")
    return lint_imports(tree)


def test_a_handler_that_imports_a_backend_breaks_the_build(tmp_path: Path) -> None:
    result = planted(tmp_path, "app.cart.memory")
    assert result.returncode == 1
    assert "Handlers know store Protocols" in result.stdout
    assert "handlers.cart -> app.cart.memory" in result.stdout


DOMAINS = ("cart", "chat", "events", "game", "limits", "tasks", "weather")
SURFACE = {"__init__", "errors", "models", "store", "memory", "redis", "topics"}
"""``topics``: what a domain publishes for subscribers, as its models are what it answers."""


def test_every_core_module_is_kept_from_handlers() -> None:
    """A new core module must join the handlers-surface contract, or the contract leaks."""
    config = tomllib.loads((Path(ROOT) / "pyproject.toml").read_text())
    [surface] = [
        c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "handlers-surface"
    ]
    forbidden = set(surface["forbidden_modules"])
    for domain in DOMAINS:
        for module in (Path(ROOT) / "app" / domain).glob("*.py"):
            if module.stem not in SURFACE:
                assert f"app.{domain}.{module.stem}" in forbidden, module


def test_a_handler_that_reaches_into_a_core_breaks_the_build(tmp_path: Path) -> None:
    result = planted(tmp_path, "app.cart.stock")
    assert result.returncode == 1
    assert "Handlers import only a domain's errors" in result.stdout
