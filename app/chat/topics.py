"""What a room publishes: its messages, joins and leaves, on one topic in order.

The topic's history is the room's history (``chat.history``); a subscriber resuming with
``since`` gets what it missed, joins and leaves included, so presence can be rebuilt from
``chat.members`` plus the diffs after it (Phoenix Presence's model).
"""

from __future__ import annotations

from typing import Literal

from pydantic import JsonValue

from app.chat.models import Member

LeaveReason = Literal["left", "expired", "disconnected"]


def topic(room: str) -> str:
    return f"chat:{room}"


def message(sender: Member, text: str) -> JsonValue:
    return {"kind": "message", "name": sender.name, "text": text, "at": sender.seen_at}


def joined(member: Member) -> JsonValue:
    return {"kind": "join", "name": member.name, "at": member.joined_at}


def left(member: Member, reason: LeaveReason) -> JsonValue:
    # When it was last heard from: the store's clock is not the handler's to read.
    return {"kind": "leave", "name": member.name, "at": member.seen_at, "reason": reason}
