"""The chat's store Protocol: rooms, their members' presence and send rates behind ``chat.*``.

Messages are not kept here (handlers publish them on the EventStore topic ``chat:<room>``).
Every operation is atomic, and one that refuses changes nothing. Time is the store's clock.

A member is a seat in one room under a ``key`` the handler chooses (a principal id and a
session id): one key, one seat, one display name, unique in the room as names compare
(ignoring case and look-alikes). A room opens with its first join and is gone once it has
no seat. ``chat_max_rooms`` rooms may be open and ``chat_max_members`` members present in
each.

Presence: a member is present while it was heard from (``join``, ``touch``, an ``admit``
that let it send) less than ``chat_presence_ttl_s`` ago. An absent member is absent at once
(not listed, cannot send, its name and place are free), but its seat goes lazily: ``join``
and ``members`` sweep the room, and a join that would open a room past the cap first
reclaims the rooms longest without a present member. Each swept member is answered once, as
an ``Expired`` in ``swept``; ``leave`` removes a seat present or not yet swept. So every
seat ``join`` answers ``new`` for is reported gone exactly once, by ``leave`` or in a
``swept``, and the handler publishes its "leave" then.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from app.chat.models import Joined, Member, Roster


@runtime_checkable
class ChatStore(Protocol):
    """The open rooms: who is in each, who is still present, and who may send now."""

    @property
    def presence_ttl_s(self) -> float:
        """Seconds a member stays present unheard from (``chat_presence_ttl_s``): a handler
        keeping a connection's seat touches it more often than that."""
        ...

    async def join(self, room: str, key: str, owner: str, name: str) -> Joined:
        """Seat ``key`` (of the principal ``owner``) in ``room`` as ``name``, opening the room
        if it has no seat; sweep it. A present ``key`` is refreshed and renamed (``new``
        false), keeping its send rate; an absent one is swept and seated anew.

        Raise ``NameTaken`` (data: ``room``, ``name``) if another present member has the name,
        ``RoomFull`` (data: ``room``, ``limit``) for a new seat in a room at its cap, and
        ``Overloaded`` (data: ``resource`` "chat_rooms", ``limit``, ``retry_after_s``) for a
        new room when every open room has a present member. ValueError for a bad name.
        """
        ...

    async def leave(self, room: str, key: str) -> Member | None:
        """Remove ``key``'s seat from ``room``, present or not yet swept: the member it was,
        or None if it had none (it left, or was answered as swept, already)."""
        ...

    async def touch(self, room: str, key: str) -> bool:
        """Refresh ``key``'s presence in ``room``: whether it is present (false changes
        nothing: an absent seat stays for the next sweep to report)."""
        ...

    async def admit(self, room: str, key: str) -> Member:
        """Let ``key`` send one message to ``room`` now: charge its send rate (5 at once,
        then 1 a second) and refresh its presence; the sender as it is now.

        Raise ``NotMember`` (data: ``room``) if it is not present, and ``SendingTooFast``
        (data: ``retry_after_s``) past its rate; neither refreshes it.
        """
        ...

    async def members(self, room: str) -> Roster:
        """The present members of ``room`` by name, after sweeping the absent ones (none for
        a room that is not open)."""
        ...
