"""What chat.* methods take, the public view of a member, and what the store answers.

The pydantic models go on the wire; like game's, they have no class docstring, since pydantic
would publish it as the schema's description. The dataclasses are the store's answers to
handlers: they carry member keys, which never go on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from app.chat.names import ROOM_PATTERN
from app.names import NAME_MAX, check_name

RoomName = Annotated[
    str,
    Field(
        pattern=ROOM_PATTERN,
        description="1 to 64 of a-z, 0-9, _ and -, starting with a letter or digit.",
    ),
]
MemberName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX),
    Field(description="1 to 32 printable characters, unique in the room (ignoring case)."),
    AfterValidator(check_name),
]


class Member(BaseModel):
    name: str
    joined_at: float = Field(description="When it joined (seconds since the epoch).")
    seen_at: float = Field(description="When it was last heard from: joined, sent or refreshed.")


@dataclass(frozen=True, slots=True)
class Expired:
    """A member removed because its presence expired: publish its "leave" on `room`."""

    room: str
    key: str
    """The member key it joined with."""
    member: Member


@dataclass(frozen=True, slots=True)
class Joined:
    member: Member
    new: bool
    """False for a re-join by a present member: it was refreshed, and maybe renamed."""
    renamed_from: str | None
    """The name a re-joining member had before, if the join changed it."""
    swept: list[Expired]


@dataclass(frozen=True, slots=True)
class Roster:
    members: list[Member]
    """The present members, by name (as names compare)."""
    swept: list[Expired]


class ChatEvent(BaseModel):
    offset: int = Field(description="Its place in the room's history: resume after it.")
    kind: Literal["message", "join", "leave"]
    name: str
    text: str | None = None
    at: float = Field(description="When it happened (a leave: when the member was last heard).")
    reason: Literal["left", "expired", "disconnected"] | None = None
