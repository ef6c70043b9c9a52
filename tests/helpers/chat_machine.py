"""A model-based test of a chat store: interleaved joins, leaves, touches, sends, rosters and
waits over a few rooms, members and names, through the ChatStore Protocol only.

The model is naive: every seat with when it was last heard from, and a token bucket per seat
(5 tokens, 1 more a second) in place of the store's GCRA. After each step the store must
agree with it exactly: every answer, every refusal, and every member swept, once. So no room
holds more present members than its cap, names stay unique in a room, and no more rooms are
open than the cap.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any, TypeVar

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from app.chat.errors import NameTaken, NotMember, RoomFull, SendingTooFast
from app.chat.models import Expired, Joined, Member
from app.chat.store import ChatStore
from app.clock import ManualClock
from app.names import name_key
from app.rpc.errors import Overloaded
from app.stores import Backend, StoreContext
from tests.helpers.backends import opened

T = TypeVar("T")

MAX_ROOMS, MAX_MEMBERS, TTL = 2, 3, 60.0
SETTINGS: dict[str, Any] = {
    "chat_max_rooms": MAX_ROOMS,
    "chat_max_members": MAX_MEMBERS,
    "chat_presence_ttl_s": TTL,
}
ROOMS = ["one", "two", "three"]
KEYS = ["a:1", "a:2", "b:1", "c:1", "d:1"]
NAMES = ["Ada", "ada", "Grace", "Linus", "Ｌｉｎｕｓ", "Ken"]


@dataclass
class SeatModel:
    name: str
    joined_at: float
    seen_at: float
    tokens: float
    counted_at: float
    """When ``tokens`` was counted: a token comes back each second after, up to 5."""

    def member(self) -> Member:
        return Member(name=self.name, joined_at=self.joined_at, seen_at=self.seen_at)


def in_order(swept: list[Expired]) -> list[Expired]:
    """As answers list the swept: by room, then by name as names compare."""
    return sorted(swept, key=lambda gone: (gone.room, name_key(gone.member.name)))


class ChatMachine(RuleBasedStateMachine):
    """Drives one backend of ChatStore; build it with the backend."""

    def __init__(self, backend: Callable[[StoreContext], Backend]) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = ManualClock()
        self.exits = AsyncExitStack()
        store = self.loop.run_until_complete(
            self.exits.enter_async_context(opened(backend, self.clock, **SETTINGS))
        )
        assert isinstance(store, ChatStore)
        self.store: ChatStore = store
        self.rooms: dict[str, dict[str, SeatModel]] = {}
        """The open rooms: each one's seats, present or not yet swept, by key."""

    def teardown(self) -> None:
        self.loop.run_until_complete(self.exits.aclose())
        self.loop.close()

    @property
    def now(self) -> float:
        return self.clock.time()

    def run(self, operation: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(operation)

    def present(self, seat: SeatModel) -> bool:
        return seat.seen_at + TTL > self.now

    def live(self, room: str) -> dict[str, SeatModel]:
        return {k: seat for k, seat in self.rooms.get(room, {}).items() if self.present(seat)}

    def sweep(self, room: str) -> list[Expired]:
        """Remove ``room``'s lapsed seats from the model; what the store must answer."""
        seats = self.rooms.get(room, {})
        gone = {k: seat for k, seat in seats.items() if not self.present(seat)}
        for k in gone:
            del seats[k]
        if room in self.rooms and not seats:
            del self.rooms[room]
        return [Expired(room, k, seat.member()) for k, seat in gone.items()]

    def latest(self, room: str) -> float:
        return max(seat.seen_at for seat in self.rooms[room].values())

    @rule(room=st.sampled_from(ROOMS), key=st.sampled_from(KEYS), name=st.sampled_from(NAMES))
    def join(self, room: str, key: str, name: str) -> None:
        try:
            joined = self.run(self.store.join(room, key, key.split(":")[0], name))
        except (NameTaken, RoomFull, Overloaded) as refused:
            outcome: object = refused
        else:
            outcome = joined
        live = self.live(room)
        swept: list[Expired] = []
        if room in self.rooms:
            holders = {k for k, seat in live.items() if name_key(seat.name) == name_key(name)}
            if holders - {key}:
                assert isinstance(outcome, NameTaken), outcome
                assert outcome.data == {"room": room, "name": name}
                event("name taken")
                return
            if key not in live and len(live) >= MAX_MEMBERS:
                assert isinstance(outcome, RoomFull), outcome
                event("room full")
                return
        elif len(self.rooms) >= MAX_ROOMS:
            by_age = sorted(self.rooms, key=lambda r: (self.latest(r), r))
            oldest = by_age[: len(self.rooms) - MAX_ROOMS + 1]
            if any(self.live(r) for r in oldest):
                assert isinstance(outcome, Overloaded), outcome
                wait = self.latest(oldest[-1]) + TTL - self.now
                assert 0 < wait <= outcome.data["retry_after_s"] < wait + 0.001
                event("rooms cap")
                return
            for reclaimed in oldest:
                swept += self.sweep(reclaimed)
            event("dead rooms reclaimed")
        assert not isinstance(outcome, Exception), outcome
        assert isinstance(outcome, Joined)
        swept += self.sweep(room)
        assert outcome.swept == in_order(swept)
        seats = self.rooms.setdefault(room, {})
        seat = seats.get(key)
        if seat is None:
            seat = seats[key] = SeatModel(name, self.now, self.now, 5.0, self.now)
            renamed_from = None
        else:
            renamed_from = seat.name if seat.name != name else None
            seat.name, seat.seen_at = name, self.now
        assert (outcome.member, outcome.new, outcome.renamed_from) == (
            seat.member(),
            key not in live,
            renamed_from,
        )

    @rule(room=st.sampled_from(ROOMS), key=st.sampled_from(KEYS))
    def leave(self, room: str, key: str) -> None:
        left = self.run(self.store.leave(room, key))
        seats = self.rooms.get(room, {})
        seat = seats.pop(key, None)
        if room in self.rooms and not seats:
            del self.rooms[room]
        assert left == (seat.member() if seat is not None else None)

    @rule(room=st.sampled_from(ROOMS), key=st.sampled_from(KEYS))
    def touch(self, room: str, key: str) -> None:
        present = self.run(self.store.touch(room, key))
        seat = self.live(room).get(key)
        assert present == (seat is not None)
        if seat is not None:
            seat.seen_at = self.now

    @rule(room=st.sampled_from(ROOMS), key=st.sampled_from(KEYS), times=st.integers(1, 7))
    def admit(self, room: str, key: str, times: int) -> None:
        """``times`` messages from ``key`` at once: past 5, some must be refused."""
        for _ in range(times):
            self.admit_one(room, key)

    def admit_one(self, room: str, key: str) -> None:
        try:
            outcome: Member | Exception = self.run(self.store.admit(room, key))
        except (NotMember, SendingTooFast) as refused:
            outcome = refused
        seat = self.live(room).get(key)
        if seat is None:
            assert isinstance(outcome, NotMember), outcome
            return
        tokens = min(5.0, seat.tokens + (self.now - seat.counted_at))
        if tokens < 1:
            assert isinstance(outcome, SendingTooFast), outcome
            assert 1 - tokens <= outcome.data["retry_after_s"] < 1 - tokens + 0.001
            event("sending too fast")
            return
        seat.tokens, seat.counted_at, seat.seen_at = tokens - 1, self.now, self.now
        assert outcome == seat.member()

    @rule(room=st.sampled_from(ROOMS))
    def members(self, room: str) -> None:
        roster = self.run(self.store.members(room))
        live = self.live(room)
        assert roster.swept == in_order(self.sweep(room))
        expected = sorted(live.values(), key=lambda seat: name_key(seat.name))
        assert roster.members == [seat.member() for seat in expected]
        assert len(roster.members) <= MAX_MEMBERS
        folded = [name_key(member.name) for member in roster.members]
        assert len(set(folded)) == len(folded)

    @rule(seconds=st.sampled_from([0.25, 0.5, 1.0, 10.0, 30.0, 59.75, 60.0]))
    def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @invariant()
    def the_caps_hold(self) -> None:
        assert len(self.rooms) <= MAX_ROOMS
        for room in self.rooms:
            live = self.live(room).values()
            assert len(live) <= MAX_MEMBERS
            assert len({name_key(seat.name) for seat in live}) == len(live)
