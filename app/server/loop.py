"""Which event loop serves: uvloop where it is installed, else asyncio's own.

uvloop is a default dependency wherever it builds (not on Windows, nor PyPy); ``--loop`` picks
one explicitly, and asking for uvloop where it is missing is a start-up error, not a silent
fallback.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

from app.stores import StartupError

T = TypeVar("T")
Choice = Literal["auto", "uvloop", "asyncio"]


def chosen(choice: Choice) -> Literal["uvloop", "asyncio"]:
    """The loop ``choice`` means on this machine."""
    installed = importlib.util.find_spec("uvloop") is not None
    if choice == "uvloop" and not installed:
        raise StartupError("--loop uvloop: uvloop is not installed (pip install uvloop)")
    if choice == "asyncio" or not installed:
        return "asyncio"
    return "uvloop"


def run(main: Coroutine[Any, Any, T], choice: Choice) -> T:
    """``asyncio.run(main)`` on the chosen loop."""
    factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    if chosen(choice) == "uvloop":
        import uvloop

        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)
