"""The import contracts in pyproject.toml hold, and they do catch a violation."""

from __future__ import annotations

import shutil
import subprocess
import sys
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


def test_a_handler_that_imports_a_backend_breaks_the_build(tmp_path: Path) -> None:
    for part in ("app", "handlers", "examples"):
        shutil.copytree(Path(ROOT) / part, tmp_path / part)
    shutil.copy(Path(ROOT) / "pyproject.toml", tmp_path)
    handler = tmp_path / "handlers" / "cart.py"
    handler.write_text(handler.read_text() + "\nimport app.cart.memory  # noqa: E402, F401\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert "Handlers know store Protocols" in result.stdout
    assert "handlers.cart -> app.cart.memory" in result.stdout
