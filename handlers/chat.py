"""chat.*: rooms where members talk, with presence and a bounded history (the seed's
bidirectional chat).

Join a room under a name, send messages, and subscribe to hear everything said and who
comes and goes. Over a WebSocket your seat belongs to that connection: it is kept present
while the connection lives and leaves when it closes. Over plain HTTP it belongs to your
key, and stays present while you send. A member not heard from for `chat_presence_ttl_s`
leaves on its own, so no one lingers after a disconnect or a deploy. Only members may send,
at most 5 messages at once and then 1 a second.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from pydantic import Field

from app.chat import topics
from app.chat.errors import NameTaken, NotMember, RoomFull, SendingTooFast
from app.chat.models import ChatEvent, Expired, Member, MemberName, RoomName
from app.chat.store import ChatStore
from app.events.models import Event, Since
from app.events.store import EventStore
from app.rpc.context import CallContext
from app.rpc.namespace import Method, Namespace
from app.rpc.subscriptions import Subscribed
from app.rpc.unsubscribe import unsubscribe_method
from handlers.examples import chat as examples

MAX_TEXT = 2000
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT, description="The message.")]


def _seat(ctx: CallContext) -> str:
    """The member key: the connection's own over a stream, else the caller's."""
    if ctx.stream is None:
        return ctx.principal.id
    return f"{ctx.principal.id}/{ctx.stream.id}"


async def _gone(events: EventStore, swept: list[Expired]) -> None:
    for expired in swept:
        await events.publish(topics.topic(expired.room), topics.left(expired.member, "expired"))


async def join(
    chat: ChatStore, events: EventStore, ctx: CallContext, room: RoomName, name: MemberName
) -> list[Member]:
    """Join `room` as `name` (opening it if it is empty); answer who is present.

    Joining again renames you. A name another present member has (ignoring case) is 6002;
    a room at `chat_max_members` is 6003; with `chat_max_rooms` rooms open, a new room
    gets -32005.
    """
    key = _seat(ctx)
    joined = await chat.join(room, key, ctx.principal.id, name)
    await _gone(events, joined.swept)
    if joined.new:
        await events.publish(topics.topic(room), topics.joined(joined.member))
    stream = ctx.stream
    if stream is not None:
        seat = f"chat:{room}"
        stream.spawn(seat, _keep_present(chat, room, key))
        stream.at_close(seat, lambda: _disconnected(chat, events, room, key))
    return (await chat.members(room)).members


async def _keep_present(chat: ChatStore, room: str, key: str) -> None:
    """Refresh a connection's seat while the connection lives (it was just seated)."""
    period = chat.presence_ttl_s / 3
    while True:
        await asyncio.sleep(period)
        if not await chat.touch(room, key):
            return  # it left, or was swept: a join seats and refreshes it again


async def _disconnected(chat: ChatStore, events: EventStore, room: str, key: str) -> None:
    member = await chat.leave(room, key)
    if member is not None:
        await events.publish(topics.topic(room), topics.left(member, "disconnected"))


async def leave(chat: ChatStore, events: EventStore, ctx: CallContext, room: RoomName) -> bool:
    """Leave `room`: true if you were in it."""
    member = await chat.leave(room, _seat(ctx))
    if member is None:
        return False
    await events.publish(topics.topic(room), topics.left(member, "left"))
    return True


async def send(
    chat: ChatStore, events: EventStore, ctx: CallContext, room: RoomName, text: Text
) -> ChatEvent:
    """Say `text` in `room`; answer the message as the room's history keeps it.

    Only members may send (6001), 5 messages at once and then 1 a second (6004, with
    `retry_after_s`).
    """
    sender = await chat.admit(room, _seat(ctx))
    event = await events.publish(topics.topic(room), topics.message(sender, text))
    return _view(event)


async def history(
    events: EventStore,
    room: RoomName,
    before: Annotated[
        int | None, Field(ge=1, description="Only events before this offset.")
    ] = None,
    since: Annotated[int | None, Field(ge=0, description="Only events after this offset.")] = None,
    limit: Annotated[int, Field(ge=1, le=200)] = 50,
) -> list[ChatEvent]:
    """What was said in `room`, and who came and went, oldest first.

    The newest `limit` events, or the newest before `before`, or the oldest after
    `since`. The room keeps its last `events_history` events.
    """
    kept = await events.history(topics.topic(room), before=before, since=since, limit=limit)
    return [_view(event) for event in kept]


async def members(chat: ChatStore, events: EventStore, room: RoomName) -> list[Member]:
    """Who is present in `room` now, by name."""
    roster = await chat.members(room)
    await _gone(events, roster.swept)
    return roster.members


async def subscribe(
    events: EventStore,
    ctx: CallContext,
    room: RoomName,
    since: Since = None,
) -> Subscribed:
    """Hear everything said in `room`, and every join and leave, as it happens.

    Each notification's `result` is a room event: `kind` (message, join or leave),
    `name`, `text` (messages), `at`, `reason` (leaves: left, expired, disconnected).
    With `since`, the events missed come first, and `recovered` says whether all of
    them were still kept. You need not be a member to listen.
    """
    async with ctx.subscription("chat") as subscription:
        replay = await subscription.follow(events, topics.topic(room), since)
        return subscription.subscribed(replay)


def _view(event: Event) -> ChatEvent:
    return ChatEvent.model_validate({**event.data, "offset": event.offset})  # type: ignore[dict-item]


namespace = Namespace(
    "chat",
    [
        Method(join, errors=[NameTaken, RoomFull], examples=examples.JOIN),
        Method(send, errors=[NotMember, SendingTooFast], examples=examples.SEND),
        Method(history, idempotent=True, examples=examples.HISTORY),
        Method(members, idempotent=True, examples=examples.MEMBERS),
        Method(leave, idempotent=True, examples=examples.LEAVE),
        Method(subscribe, examples=examples.SUBSCRIBE),
        unsubscribe_method("chat"),
    ],
)
