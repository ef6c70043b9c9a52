"""What a topic holds: events with offsets, and positions a subscriber resumes from.

Each topic has an epoch and a run of offsets (Centrifugo's model). An offset counts the
topic's events from 1; the epoch changes when the history is lost (a memory store's
restart), so that a position from before can be told apart from one that still holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, JsonValue


@dataclass(frozen=True, slots=True)
class Event:
    topic: str
    offset: int
    data: JsonValue


class Position(BaseModel):
    """Where a subscriber is in a topic: resume after `offset` if `epoch` still holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    epoch: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    offset: int = Field(ge=0, le=2**63 - 1)


@dataclass(frozen=True, slots=True)
class Replay:
    """What a topic still holds after a position, and where the topic is now."""

    events: list[Event]
    position: Position
    recovered: bool
    """Every event after the asked-for position is in `events`: nothing was missed."""


Since = Annotated[
    Position | None,
    Field(
        description="Resume after this position (the epoch an earlier subscription answered, "
        "and the offset of the last notification it got): what was missed comes first."
    ),
]
"""The `since` param of every `<ns>.subscribe` whose topic keeps history."""
