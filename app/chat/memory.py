"""The in-memory chat store: every room in this process.

Each operation reads the clock once and runs synchronously, with no ``await`` between its
checks and its changes, which is what makes it atomic. A room exists while it has seats; a
join that would open one more than ``chat_max_rooms`` first reclaims the rooms longest
without a present member, as lua/join.lua does, so that dead rooms never hold the cap.
"""

from __future__ import annotations

import dataclasses
import heapq

from app.chat.errors import NotMember
from app.chat.models import Expired, Joined, Member, Roster
from app.chat.names import check_room
from app.chat.presence import Room, by_name, by_room_and_name, rooms_exhausted
from app.names import check_name
from app.stores import Backend, StoreContext


class MemoryChatStore(Backend):
    """The rooms of this process, by name."""

    def __init__(self, context: StoreContext) -> None:
        settings = context.settings
        self._clock = context.clock
        self.presence_ttl_s: float = settings.chat_presence_ttl_s
        self._max_rooms = settings.chat_max_rooms
        self._max_members = settings.chat_max_members
        self._rooms: dict[str, Room] = {}

    async def join(self, room: str, key: str, owner: str, name: str) -> Joined:
        """Seat ``key`` in ``room`` as ``name``, opening the room if need be."""
        check_room(room)
        check_name(name)
        now = self._clock.time()
        found = self._rooms.get(room)
        reclaimed: list[Expired] = []
        if found is None:
            # A new room has no name to clash with and no seat taken: only the cap refuses.
            reclaimed = self._reclaim(now)
            found = self._rooms[room] = Room(room, self.presence_ttl_s)
        joined = found.join(key, owner, name, now, self._max_members)
        return dataclasses.replace(joined, swept=by_room_and_name(joined.swept + reclaimed))

    async def leave(self, room: str, key: str) -> Member | None:
        """Remove ``key`` from ``room``; the member it was, or None if it had no seat."""
        found = self._rooms.get(room)
        if found is None:
            return None
        seat = found.leave(key)
        self._forget_if_empty(found)
        return seat.public() if seat is not None else None

    async def touch(self, room: str, key: str) -> bool:
        """Refresh ``key``'s presence in ``room``; whether it is present."""
        found = self._rooms.get(room)
        return found is not None and found.touch(key, self._clock.time())

    async def admit(self, room: str, key: str) -> Member:
        """The sender ``key`` if it may post in ``room`` now, charged and refreshed."""
        found = self._rooms.get(room)
        if found is None:
            raise NotMember(data={"room": room})
        return found.admit(key, self._clock.time()).public()

    async def members(self, room: str) -> Roster:
        """The present members of ``room`` by name, after sweeping the absent ones."""
        found = self._rooms.get(room)
        if found is None:
            return Roster([], [])
        swept = found.sweep(self._clock.time())
        self._forget_if_empty(found)
        members = by_name(seat.public() for seat in found.seats.values())
        return Roster(members, by_room_and_name(swept))

    def _reclaim(self, now: float) -> list[Expired]:
        """Make room for one more room: remove the rooms longest without a present member
        and say whom they held, or raise Overloaded (changing nothing) if they are live."""
        over = len(self._rooms) - self._max_rooms + 1
        if over <= 0:
            return []
        # Ties in the order Redis's sorted set keeps them: by name.
        oldest = heapq.nsmallest(over, self._rooms.values(), key=lambda r: (r.latest, r.name))
        if not oldest[-1].dead(now):
            raise rooms_exhausted(self._max_rooms, oldest[-1].latest + self.presence_ttl_s - now)
        swept: list[Expired] = []
        for dead in oldest:
            swept += dead.sweep(now)
            del self._rooms[dead.name]
        return swept

    def _forget_if_empty(self, room: Room) -> None:
        if not room.seats:
            del self._rooms[room.name]
