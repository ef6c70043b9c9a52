"""The Redis chat store: rooms shared by every replica and kept across restarts.

Each operation is one Lua script, ``lua/<operation>.lua`` after ``lua/room.lua``, which keeps
presence.py's rules (who is present, sweeping, the caps, reclaiming dead rooms) and rate.py's
GCRA in the same float operations, on ``now`` from the store's clock, so its checks and
changes are atomic in Redis and agree with memory exactly. Python checks names, folds them
for comparison, and builds the answers and refusals, with memory's data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import orjson

from app.chat import rate
from app.chat.errors import NameTaken, NotMember, RoomFull
from app.chat.models import Expired, Joined, Member, Roster
from app.chat.names import check_room
from app.chat.presence import by_name, by_room_and_name, rooms_exhausted
from app.names import check_name, name_key
from app.redis_link import Arg, ErrorFactory
from app.stores import Backend, StoreContext

ROOM_KEYS = ("members", "names", "seen", "rates")
"""One room's keys, in the order every script takes them after ``rooms`` (lua/room.lua)."""

OPERATIONS = ("join", "leave", "touch", "admit", "members")


def _lua(name: str) -> str:
    """The text of ``lua/<name>.lua``, read from the installed package."""
    return resources.files(__package__ or "app.chat").joinpath("lua", f"{name}.lua").read_text()


def _utf8(text: str) -> bytes:
    """``text`` as Redis takes it; a lone surrogate is just an unknown key, not a crash."""
    return text.encode("utf-8", "surrogatepass")


def _member(record: bytes, seen: bytes) -> Member:
    fields = orjson.loads(record)
    return Member(name=fields["name"], joined_at=float(fields["joined"]), seen_at=float(seen))


def _expired(flat: Sequence[bytes]) -> list[Expired]:
    """The Expired of a script's {room, key, record, seen, ...}, in answer order."""
    groups = (flat[i : i + 4] for i in range(0, len(flat), 4))
    return by_room_and_name(
        Expired(room.decode(), key.decode("utf-8", "surrogatepass"), _member(record, seen))
        for room, key, record, seen in groups
    )


class RedisChatStore(Backend):
    """The open rooms in Redis."""

    def __init__(self, context: StoreContext) -> None:
        settings = context.settings
        self._clock = context.clock
        self.presence_ttl_s: float = settings.chat_presence_ttl_s
        self._max_rooms = settings.chat_max_rooms
        self._max_members = settings.chat_max_members
        self._link = context.link()
        self._keys = self._link.keyspace("chat")
        self._settings: list[Arg] = [
            self.presence_ttl_s,
            settings.chat_max_rooms,
            settings.chat_max_members,
            rate.BURST,
            rate.INTERVAL_S,
            rate.SLACK,
            self._keys("room") + ":",
        ]
        shared = _lua("room")
        self._sources = {name: shared + _lua(name) for name in OPERATIONS}
        self._scripts = {name: self._link.script(text) for name, text in self._sources.items()}

    async def open(self) -> None:
        """Load the scripts now, so that each operation is one round trip from the first."""
        for text in self._sources.values():
            await self._link.command("SCRIPT", "LOAD", text)

    async def join(self, room: str, key: str, owner: str, name: str) -> Joined:
        """Seat ``key`` in ``room`` as ``name``, opening the room if need be."""
        check_room(room)
        check_name(name)
        refusals: dict[str, ErrorFactory] = {
            "NameTaken": lambda _: NameTaken(data={"room": room, "name": name}),
            "RoomFull": lambda _: RoomFull(data={"room": room, "limit": self._max_members}),
            "Overloaded": lambda wait: rooms_exhausted(self._max_rooms, float(wait)),
        }
        args: list[Arg] = [_utf8(key), _utf8(owner), name, name_key(name)]
        new, record, seen, renamed_from, swept = await self._call("join", room, args, refusals)
        return Joined(
            _member(record, seen), bool(new), renamed_from.decode() or None, _expired(swept)
        )

    async def leave(self, room: str, key: str) -> Member | None:
        """Remove ``key`` from ``room``; the member it was, or None if it had no seat."""
        reply = await self._call("leave", room, [_utf8(key)])
        return _member(reply[2], reply[3]) if reply else None

    async def touch(self, room: str, key: str) -> bool:
        """Refresh ``key``'s presence in ``room``; whether it is present."""
        return bool(await self._call("touch", room, [_utf8(key)]))

    async def admit(self, room: str, key: str) -> Member:
        """The sender ``key`` if it may post in ``room`` now, charged and refreshed."""
        refusals: dict[str, ErrorFactory] = {
            "NotMember": lambda _: NotMember(data={"room": room}),
            "SendingTooFast": lambda wait: rate.too_fast(float(wait)),
        }
        record, seen = await self._call("admit", room, [_utf8(key)], refusals)
        return _member(record, seen)

    async def members(self, room: str) -> Roster:
        """The present members of ``room`` by name, after sweeping the absent ones."""
        swept, listed = await self._call("members", room)
        pairs = zip(listed[::2], listed[1::2], strict=True)
        members = by_name(_member(record, seen) for record, seen in pairs)
        return Roster(members, _expired(swept))

    async def _call(
        self,
        operation: str,
        room: str,
        args: Sequence[Arg] = (),
        errors: Mapping[str, ErrorFactory] | None = None,
    ) -> Any:
        """Run ``operation``'s script on ``room`` at the clock's now."""
        keys = [self._keys("rooms"), *(self._keys("room", room, part) for part in ROOM_KEYS)]
        now = self._clock.time()
        return await self._link.run(
            self._scripts[operation], keys, [now, *self._settings, _utf8(room), *args], errors
        )
