"""Every contract suite runs once per backend its module lists in ``BACKENDS``."""

from __future__ import annotations

import pytest


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # One definition of ``backend`` for every suite: a new backend is one more BACKENDS entry.
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", metafunc.module.BACKENDS)
