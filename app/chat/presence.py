"""One room: its seats, the names they hold, and when each one's presence expires (sync).

A seat is present while it was heard from (joined, refreshed, admitted to send) less than
the TTL ago: ``seen_at > now - ttl_s``. One that is not is absent at once for every check,
and removed only by ``sweep``, which says whom it removed, so that each member's leaving is
reported exactly once. Methods that refuse raise before changing anything.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from app.chat import rate
from app.chat.errors import NameTaken, NotMember, RoomFull
from app.chat.models import Expired, Joined, Member
from app.names import name_key
from app.rpc.errors import Overloaded


@dataclass(slots=True)
class Seat:
    """A member as the room keeps it; ``key`` and ``owner`` never go on the wire."""

    key: str
    owner: str
    """The principal id that joined it, for the record."""
    name: str
    joined_at: float
    seen_at: float
    tat: float | None = None
    """Its send rate's theoretical arrival time (rate.py); None until it first sends."""

    def public(self) -> Member:
        return Member(name=self.name, joined_at=self.joined_at, seen_at=self.seen_at)


def by_name(members: Iterable[Member]) -> list[Member]:
    """Members in the order rosters list them: by name, as names compare."""
    return sorted(members, key=lambda member: name_key(member.name))


def by_room_and_name(expired: Iterable[Expired]) -> list[Expired]:
    """Expired members in the order answers list them: by room, then by name."""
    return sorted(expired, key=lambda gone: (gone.room, name_key(gone.member.name)))


def rooms_exhausted(limit: int, wait: float) -> Overloaded:
    """The refusal of a new room while ``limit`` rooms are open, the first free in ``wait``."""
    return Overloaded(
        "Too many chat rooms are open: try again later",
        data={"resource": "chat_rooms", "limit": limit, "retry_after_s": rate.round_up(wait)},
    )


class Room:
    """The seats of one room, and their names (as names compare) to their keys."""

    def __init__(self, name: str, ttl_s: float) -> None:
        self.name = name
        self.ttl_s = ttl_s
        self.seats: dict[str, Seat] = {}
        self.names: dict[str, str] = {}
        self.latest = -math.inf
        """Its seats' latest ``seen_at``: the room is dead once that seat is absent."""

    def present(self, key: str, now: float) -> Seat | None:
        seat = self.seats.get(key)
        return seat if seat is not None and seat.seen_at > now - self.ttl_s else None

    def dead(self, now: float) -> bool:
        """No seat is present: the room may be reclaimed."""
        return self.latest <= now - self.ttl_s

    def join(self, key: str, owner: str, name: str, now: float, max_members: int) -> Joined:
        """Seat ``key`` as ``name``, or refresh and maybe rename its present seat; sweep."""
        holder = self.names.get(name_key(name))
        if holder is not None and holder != key and self.present(holder, now) is not None:
            raise NameTaken(data={"room": self.name, "name": name})
        seat = self.present(key, now)
        if seat is None:
            cutoff = now - self.ttl_s
            if sum(other.seen_at > cutoff for other in self.seats.values()) >= max_members:
                raise RoomFull(data={"room": self.name, "limit": max_members})
        swept = self.sweep(now)
        new, renamed_from = seat is None, None
        if seat is None:
            seat = self.seats[key] = Seat(key, owner, name, now, now)
        else:
            if seat.name != name:
                renamed_from = seat.name
            del self.names[name_key(seat.name)]
            seat.name = name
        self.names[name_key(name)] = key
        self._refresh(seat, now)
        return Joined(seat.public(), new, renamed_from, swept)

    def sweep(self, now: float) -> list[Expired]:
        """Remove the absent seats, and say whom."""
        cutoff = now - self.ttl_s
        gone = [seat for seat in self.seats.values() if seat.seen_at <= cutoff]
        for seat in gone:
            self._remove(seat)
        return [Expired(self.name, seat.key, seat.public()) for seat in gone]

    def leave(self, key: str) -> Seat | None:
        """Remove ``key``'s seat, present or not yet swept."""
        seat = self.seats.get(key)
        if seat is not None:
            self._remove(seat)
        return seat

    def touch(self, key: str, now: float) -> bool:
        seat = self.present(key, now)
        if seat is not None:
            self._refresh(seat, now)
        return seat is not None

    def admit(self, key: str, now: float) -> Seat:
        """The seat of ``key`` if it may send now, charged one message and refreshed."""
        seat = self.present(key, now)
        if seat is None:
            raise NotMember(data={"room": self.name})
        seat.tat = rate.charge(seat.tat, now)
        self._refresh(seat, now)
        return seat

    def _refresh(self, seat: Seat, now: float) -> None:
        seat.seen_at = now
        self.latest = max(self.latest, now)

    def _remove(self, seat: Seat) -> None:
        del self.seats[seat.key]
        del self.names[name_key(seat.name)]
        if seat.seen_at >= self.latest:
            self.latest = max((other.seen_at for other in self.seats.values()), default=-math.inf)
