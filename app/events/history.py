"""The rules of reading a topic's kept history, shared by every backend."""

from __future__ import annotations

from app.events.models import Event, Position


def kept_after(
    kept: list[Event], newest: int, position: Position, since: Position | None
) -> list[Event] | None:
    """The events after ``since`` if none of them has been forgotten, else None.

    ``kept`` is the topic's history, oldest first, and ``newest`` its last offset.
    """
    if since is None or since.epoch != position.epoch or since.offset > newest:
        return None
    oldest = kept[0].offset if kept else newest + 1
    if since.offset + 1 < oldest:
        return None  # some events after it were dropped from the history
    return [event for event in kept if event.offset > since.offset]


def kept_window(
    kept: list[Event], before: int | None, since: int | None, limit: int
) -> list[Event]:
    """Up to ``limit`` events of ``kept``: the newest before ``before``, the oldest after
    ``since``, or the newest of all."""
    if since is not None:
        return [event for event in kept if event.offset > since][:limit]
    if before is not None:
        kept = [event for event in kept if event.offset < before]
    return kept[-limit:] if limit > 0 else []
