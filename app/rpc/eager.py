"""Eager stepping: run a handler's first step inline, and pay for a timeout only if it suspends.

Most in-memory handlers never await anything that suspends, so their first
``coro.send(None)`` already ends in ``StopIteration``. Wrapping every call in
``asyncio.timeout`` and an ``await`` would cost more than such a handler does; stepping the
coroutine by hand lets those calls skip it, and lets a batch keep running items inline
until one really waits. ``bench/README.md`` records what this saves.
"""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Suspended(Generic[T]):
    """A coroutine stopped at its first suspension; awaiting it continues it to its end."""

    __slots__ = ("_coro", "_yielded")

    def __init__(self, coro: Coroutine[Any, Any, T], yielded: Any) -> None:
        self._coro = coro
        self._yielded = yielded

    def __await__(self) -> Generator[Any, Any, T]:
        return _resume(self._coro, self._yielded)

    def close(self) -> None:
        """Abandon the coroutine (its ``finally`` blocks run now)."""
        self._coro.close()


def start_eagerly(coro: Coroutine[Any, Any, T]) -> T | Suspended[T]:
    """Run ``coro`` until it first suspends: its result if it finished, else a Suspended.

    An exception the coroutine raises on its first step propagates from here.
    """
    try:
        yielded = coro.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    return Suspended(coro, yielded)


def _resume(coro: Coroutine[Any, Any, T], yielded: Any) -> Generator[Any, Any, T]:
    """Continue ``coro`` from where its first step left it, exactly as ``await`` would."""
    while True:
        try:
            sent = yield yielded
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:
            try:
                yielded = coro.throw(exc)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
        else:
            try:
                yielded = coro.send(sent)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
