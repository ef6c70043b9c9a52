"""The ChatStore contract: what every backend of chat.* guarantees, on a ManualClock.

Rooms open on a first join and close with their last seat; names are unique in a room as
names compare; the caps on rooms and members hold; presence lapses after the TTL, and every
lapsed member is answered once as swept; each member sends 5 at once, then 1 a second. A new
backend passes this by joining BACKENDS.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from app.chat.errors import NameTaken, NotMember, RoomFull, SendingTooFast
from app.chat.memory import MemoryChatStore
from app.chat.models import Expired, Joined, Member
from app.chat.redis import RedisChatStore
from app.chat.store import ChatStore
from app.clock import ManualClock
from app.rpc.errors import Overloaded
from app.stores import Backend, StoreContext
from tests.helpers.backends import on_redis, opened
from tests.helpers.chat_machine import ChatMachine

Factory = Callable[[StoreContext], Backend]
OpenChat = Callable[..., Awaitable[ChatStore]]

BACKENDS = [pytest.param(MemoryChatStore, id="memory"), on_redis(RedisChatStore)]
TTL = 60.0


@pytest.fixture
async def open_chat(backend: Factory, clock: ManualClock) -> AsyncIterator[OpenChat]:
    """Open chat stores on the test's clock from settings overrides; all close at the end."""
    async with AsyncExitStack() as stack:

        async def open_(**overrides: Any) -> ChatStore:
            overrides.setdefault("chat_presence_ttl_s", TTL)
            store = await stack.enter_async_context(opened(backend, clock, **overrides))
            assert isinstance(store, ChatStore)
            return store

        yield open_


@pytest.fixture
async def chat(open_chat: OpenChat) -> ChatStore:
    return await open_chat()


def key(name: str) -> str:
    """The member key a handler would choose: a principal id and a session id."""
    return f"p_{name.lower()}:s1"


async def join(chat: ChatStore, name: str, room: str = "lobby", as_: str | None = None) -> Joined:
    """Join ``room`` as ``name``, with the key of ``as_`` (``name`` by default)."""
    who = as_ or name
    return await chat.join(room, key(who), f"p_{who.lower()}", name)


async def names(chat: ChatStore, room: str = "lobby") -> list[str]:
    return [member.name for member in (await chat.members(room)).members]


async def test_the_first_join_opens_a_room_and_members_lists_by_name(
    chat: ChatStore, clock: ManualClock
) -> None:
    assert (await chat.members("lobby")).members == []
    assert chat.presence_ttl_s == TTL
    clock.advance(0.123456789)  # timestamps come back to the last bit
    now = clock.time()
    grace = await join(chat, "grace")
    assert grace == Joined(Member(name="grace", joined_at=now, seen_at=now), True, None, [])
    clock.advance(1)
    await join(chat, "Ada")
    await join(chat, "linus")
    roster = await chat.members("lobby")
    assert [m.name for m in roster.members] == ["Ada", "grace", "linus"]  # ignoring case
    assert roster.members[1] == grace.member and roster.swept == []
    assert await names(chat, "other") == []


async def test_a_rejoin_refreshes_the_member_and_may_rename_it(
    chat: ChatStore, clock: ManualClock
) -> None:
    first = await join(chat, "Ada")
    clock.advance(5)
    again = await join(chat, "Ada")
    assert (again.new, again.renamed_from, again.swept) == (False, None, [])
    assert (again.member.joined_at, again.member.seen_at) == (first.member.joined_at, clock.time())
    renamed = await join(chat, "Countess", as_="Ada")
    assert (renamed.new, renamed.renamed_from, renamed.member.name) == (False, "Ada", "Countess")
    assert await names(chat) == ["Countess"]
    await join(chat, "Ada", as_="Grace")  # the old name is free again


async def test_names_are_unique_in_a_room_ignoring_case_and_look_alikes(chat: ChatStore) -> None:
    await join(chat, "Ada")
    for taken in ("ADA", "ａｄａ"):  # the full-width look-alike
        with pytest.raises(NameTaken) as refused:
            await join(chat, taken, as_="Grace")
        assert refused.value.data == {"room": "lobby", "name": taken}
    await join(chat, "Grace")
    with pytest.raises(NameTaken):
        await join(chat, "ada", as_="Grace")  # renaming onto another's name
    assert (await join(chat, "ADA", as_="Ada")).renamed_from == "Ada"  # one's own, recased
    await join(chat, "Ada", "other", as_="Grace")  # another room, another namespace
    assert await names(chat) == ["ADA", "Grace"]


async def test_leave_removes_the_seat_once_and_the_last_leave_closes_the_room(
    open_chat: OpenChat,
) -> None:
    chat = await open_chat(chat_max_rooms=1)
    ada = await join(chat, "Ada")
    await join(chat, "Grace")
    assert await chat.leave("lobby", key("Ada")) == ada.member
    assert await chat.leave("lobby", key("Ada")) is None
    assert await chat.leave("nowhere", key("Ada")) is None
    assert await names(chat) == ["Grace"]
    with pytest.raises(Overloaded):
        await join(chat, "Ada", "other")
    await chat.leave("lobby", key("Grace"))
    await join(chat, "Ada", "other")  # the lobby closed: its place under the cap is free
    assert await names(chat) == []


async def test_a_join_past_the_rooms_cap_is_overloaded(
    open_chat: OpenChat, clock: ManualClock
) -> None:
    chat = await open_chat(chat_max_rooms=2)
    await join(chat, "Ada", "one")
    clock.advance(20)
    await join(chat, "Ada", "two")
    clock.advance(10)
    with pytest.raises(Overloaded) as refused:
        await join(chat, "Ada", "three")
    assert refused.value.code == -32005
    # The room first free is "one", once Ada there lapses: 30 s from now.
    assert refused.value.data == {"resource": "chat_rooms", "limit": 2, "retry_after_s": 30.0}
    await join(chat, "Grace", "one")  # joining an open room is no new room
    with pytest.raises(Overloaded) as refused:
        await join(chat, "Ada", "three")
    assert refused.value.data["retry_after_s"] == 50.0  # now "two" is, joined at 20 s


async def test_a_join_past_the_members_cap_is_refused(open_chat: OpenChat) -> None:
    chat = await open_chat(chat_max_members=2)
    await join(chat, "Ada")
    await join(chat, "Grace")
    with pytest.raises(RoomFull) as refused:
        await join(chat, "Linus")
    assert (refused.value.code, refused.value.data) == (6003, {"room": "lobby", "limit": 2})
    await join(chat, "Countess", as_="Ada")  # a present member may still re-join
    await chat.leave("lobby", key("Grace"))
    await join(chat, "Linus")
    assert await names(chat) == ["Countess", "Linus"]


async def test_presence_lapses_after_the_ttl_and_the_lapsed_are_swept_once(
    chat: ChatStore, clock: ManualClock
) -> None:
    ada = await join(chat, "Ada")
    clock.advance(30)
    await join(chat, "Grace")
    clock.advance(TTL - 30 - 0.001)
    assert await chat.touch("lobby", key("Grace"))
    assert await names(chat) == ["Ada", "Grace"]
    clock.advance(0.001)  # Ada was heard from exactly the TTL ago: gone
    assert not await chat.touch("lobby", key("Ada"))
    with pytest.raises(NotMember) as refused:
        await chat.admit("lobby", key("Ada"))
    assert (refused.value.code, refused.value.data) == (6001, {"room": "lobby"})
    roster = await chat.members("lobby")
    assert [m.name for m in roster.members] == ["Grace"]
    assert roster.swept == [Expired("lobby", key("Ada"), ada.member)]
    assert (await chat.members("lobby")).swept == []  # answered once
    assert await chat.leave("lobby", key("Ada")) is None


async def test_a_lapsed_member_frees_its_name_and_place_at_once(
    open_chat: OpenChat, clock: ManualClock
) -> None:
    chat = await open_chat(chat_max_members=1)
    ada = await join(chat, "Ada")
    clock.advance(TTL)
    grace = await join(chat, "Ada", as_="Grace")  # not yet swept, but neither full nor taken
    assert (grace.new, grace.swept) == (True, [Expired("lobby", key("Ada"), ada.member)])


async def test_a_lapsed_member_rejoins_as_new(chat: ChatStore, clock: ManualClock) -> None:
    ada = await join(chat, "Ada")
    clock.advance(TTL)
    again = await join(chat, "Ada")
    assert (again.new, again.member.joined_at) == (True, clock.time())
    assert again.swept == [Expired("lobby", key("Ada"), ada.member)]


async def test_leaving_when_lapsed_returns_the_member_and_no_sweep_reports_it(
    chat: ChatStore, clock: ManualClock
) -> None:
    ada = await join(chat, "Ada")
    clock.advance(TTL + 1)
    assert await chat.leave("lobby", key("Ada")) == ada.member
    assert (await chat.members("lobby")).swept == []


async def test_touching_and_sending_keep_a_member_present(
    chat: ChatStore, clock: ManualClock
) -> None:
    await join(chat, "Ada")
    await join(chat, "Grace")
    clock.advance(50)
    assert await chat.touch("lobby", key("Ada"))
    sender = await chat.admit("lobby", key("Grace"))
    assert sender.seen_at == clock.time()
    clock.advance(50)
    assert await names(chat) == ["Ada", "Grace"]
    assert not await chat.touch("lobby", key("Linus"))
    assert not await chat.touch("nowhere", key("Ada"))


async def test_a_room_whose_members_all_lapsed_frees_its_place_under_the_rooms_cap(
    open_chat: OpenChat, clock: ManualClock
) -> None:
    chat = await open_chat(chat_max_rooms=1)
    ada = await join(chat, "Ada", "one")
    grace = await join(chat, "Grace", "one")
    clock.advance(TTL)
    joined = await join(chat, "Linus", "two")
    assert joined.swept == [
        Expired("one", key("Ada"), ada.member),
        Expired("one", key("Grace"), grace.member),
    ]
    assert await names(chat, "one") == []
    with pytest.raises(Overloaded):
        await join(chat, "Ada", "one")


async def test_a_room_is_dead_once_its_last_present_member_lapses_even_after_leaves(
    open_chat: OpenChat, clock: ManualClock
) -> None:
    chat = await open_chat(chat_max_rooms=1)
    ada = await join(chat, "Ada", "one")
    clock.advance(30)
    await join(chat, "Grace", "one")
    await chat.leave("one", key("Grace"))  # the room was last heard from by Ada again
    clock.advance(TTL - 30)
    assert (await join(chat, "Linus", "two")).swept == [Expired("one", key("Ada"), ada.member)]


async def test_a_member_sends_five_at_once_then_one_a_second(
    chat: ChatStore, clock: ManualClock
) -> None:
    await join(chat, "Ada")
    for _ in range(5):
        await chat.admit("lobby", key("Ada"))
    with pytest.raises(SendingTooFast) as refused:
        await chat.admit("lobby", key("Ada"))
    assert (refused.value.code, refused.value.data) == (6004, {"retry_after_s": 1.0})
    clock.advance(0.25)
    with pytest.raises(SendingTooFast) as refused:
        await chat.admit("lobby", key("Ada"))
    assert refused.value.data == {"retry_after_s": 0.75}
    clock.advance(0.75)
    await chat.admit("lobby", key("Ada"))
    with pytest.raises(SendingTooFast):
        await chat.admit("lobby", key("Ada"))
    await join(chat, "Grace")
    await chat.admit("lobby", key("Grace"))  # each member has its own rate
    await join(chat, "Ada")
    with pytest.raises(SendingTooFast):  # re-joining keeps the rate
        await chat.admit("lobby", key("Ada"))
    clock.advance(5)
    for _ in range(5):
        await chat.admit("lobby", key("Ada"))


async def test_a_refused_send_does_not_refresh_presence(
    chat: ChatStore, clock: ManualClock
) -> None:
    await join(chat, "Ada")
    for _ in range(5):
        await chat.admit("lobby", key("Ada"))
    clock.advance(0.5)
    with pytest.raises(SendingTooFast):
        await chat.admit("lobby", key("Ada"))
    clock.advance(TTL - 0.5)
    with pytest.raises(NotMember):
        await chat.admit("lobby", key("Ada"))


async def test_bad_room_and_member_names_are_refused(chat: ChatStore) -> None:
    for room in ("Lobby", "-lobby", "lob by", "lobby\n", "x" * 65, ""):
        with pytest.raises(ValueError, match="room name"):
            await join(chat, "Ada", room)
    for name in ("", " Ada", "Ada ", "A\x00da", "A\u200bda", "x" * 33):
        with pytest.raises(ValueError, match="name"):
            await join(chat, name, as_="Ada")
    assert await names(chat) == []


async def test_sending_to_a_room_not_open_is_not_being_a_member(chat: ChatStore) -> None:
    with pytest.raises(NotMember) as refused:
        await chat.admit("nowhere", key("Ada"))
    assert refused.value.data == {"room": "nowhere"}


def test_the_store_matches_its_model(backend: Factory) -> None:
    run_state_machine_as_test(
        # Any zero-argument factory will do, as hypothesis documents; its annotation says type.
        lambda: ChatMachine(backend),  # type: ignore[arg-type]
        settings=settings(max_examples=100, stateful_step_count=50, deadline=None),
    )
