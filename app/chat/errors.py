"""The chat's domain errors (codes 6xxx).

DomainError
├── NotFound
│   └── NotMember         6001  not a present member of the room (never joined, left, expired)
├── Conflict
│   └── NameTaken         6002  another present member has the name (ignoring case, look-alikes)
└── InvalidState
    ├── RoomFull          6003  the room has its most present members
    └── SendingTooFast    6004  past the member's send rate; data says when to retry

The cap on rooms is the engine's -32005 ``Overloaded`` (data: ``resource`` "chat_rooms",
``limit``, ``retry_after_s``): it is shared by every caller, like the tasks' caps.
"""

from __future__ import annotations

from app.rpc.errors import Conflict, InvalidState, NotFound


class NotMember(NotFound):
    code = 6001
    message = "Not a member of this room: join it first"


class NameTaken(Conflict):
    code = 6002
    message = "Name already taken in this room"


class RoomFull(InvalidState):
    code = 6003
    message = "The room is full"


class SendingTooFast(InvalidState):
    code = 6004
    message = "Sending too fast: wait retry_after_s"
