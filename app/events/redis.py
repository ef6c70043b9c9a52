"""The event store on Redis: topics every replica shares, delivered to every replica.

A topic is three keys under a hash tag of its own: its epoch, its last offset (``seq``), and a
Stream of its kept events with ids ``<offset>-0``. A publish is one script (``lua/publish.lua``):
it appends, trims the Stream to ``events_history`` exactly, renews the keys' TTL, and
PUBLISHes the event on the deployment's one channel. Each store reads that channel on one
pub/sub connection (``app.redis_channel``), so its listeners get every replica's events in offset
order, its own included; ``publish`` returns once this store's listeners have the event.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import secrets
from collections.abc import Callable, Iterable, Sequence

import orjson
from pydantic import JsonValue

from app.events.history import kept_after
from app.events.listeners import Listeners
from app.events.models import Event, Position, Replay
from app.events.store import Listener
from app.redis_channel import Channel
from app.redis_link import Arg
from app.stores import Backend, StoreContext

log = logging.getLogger("app.events")

IDLE_TTL_S = 86_400
"""A topic's keys go this long after its last publish (an epoch made by a replay, after it)."""

_PLAIN = re.compile(r"[A-Za-z0-9_.:/@-]{1,100}")
"""Topics named in their keys as they are; any other name is named by a digest."""

_MAX_ID = 2**64 - 1  # a Stream id's first part is an unsigned 64-bit number


class RedisEventStore(Backend):
    def __init__(self, context: StoreContext) -> None:
        self._history = context.settings.events_history
        self._link = context.link()
        self._tags = f"{{{self._link.prefix}:events:"
        self._publish = self._link.script_file(__package__ or "app.events", "publish")
        self._replay = self._link.script_file(__package__ or "app.events", "replay")
        self._channel = f"{self._link.prefix}:events"
        self._feed = Channel(
            self._link, self._channel, self._heard, what="events", log=log, lost=self._lost
        )
        self._listeners = Listeners()
        # A publish waits for its own event to come back over the feed: its tag says which.
        self._origin = secrets.token_hex(4).encode()
        self._sent = 0
        self._echoes: dict[bytes, asyncio.Future[None]] = {}

    async def open(self) -> None:
        await self._feed.open()

    async def close(self) -> None:
        await self._feed.close()

    async def publish(self, topic: str, data: JsonValue) -> Event:
        self._sent += 1
        tag = b"%s.%d" % (self._origin, self._sent)
        name = topic.encode(errors="surrogatepass")
        args: list[Arg] = [secrets.token_hex(8), self._history, IDLE_TTL_S, self._channel, tag]
        args += [name, orjson.dumps(data)]
        echo = asyncio.get_running_loop().create_future() if self._feed.subscribed else None
        if echo is not None:
            self._echoes[tag] = echo
        try:
            offset = await self._link.run(self._publish, self._keys(topic), args)
            if echo is not None:
                # Bounded: the event is kept whatever the feed does; listeners get it late.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._link.timeout_s):
                        await echo
        finally:
            self._echoes.pop(tag, None)
        return Event(topic, int(offset), data)

    def listen(self, topic: str, listener: Listener) -> Callable[[], None]:
        return self._listeners.add(topic, listener)

    async def replay(self, topic: str, since: Position | None) -> Replay:
        args: list[Arg] = [secrets.token_hex(8), IDLE_TTL_S]
        args += ["", 0] if since is None else [since.epoch, _id(since.offset + 1)]
        epoch, newest, entries = await self._link.run(self._replay, self._keys(topic), args)
        position = Position(epoch=epoch.decode(), offset=int(newest))
        kept = _events(topic, ((entry_id, fields[1]) for entry_id, fields in entries))
        events = kept_after(kept, position.offset, position, since)
        if events is None:
            return Replay([], position, recovered=False)
        return Replay(events, position, recovered=True)

    async def history(
        self, topic: str, *, before: int | None = None, since: int | None = None, limit: int
    ) -> list[Event]:
        if limit <= 0:
            return []
        log = self._keys(topic)[2]
        if since is not None:
            entries = await self._link.command("XRANGE", log, _id(since + 1), "+", "COUNT", limit)
        else:
            end = "+" if before is None else _id(before - 1)
            entries = (await self._link.command("XREVRANGE", log, end, "-", "COUNT", limit))[::-1]
        return _events(topic, ((entry_id, fields[b"d"]) for entry_id, fields in entries))

    def _keys(self, topic: str) -> Sequence[str]:
        if _PLAIN.fullmatch(topic) is None:
            # surrogatepass: any str may name a topic, even one no UTF-8 decoder produced.
            name = topic.encode(errors="surrogatepass")
            topic = "#" + hashlib.blake2b(name, digest_size=16).hexdigest()
        tag = f"{self._tags}{topic}}}:"
        return (tag + "epoch", tag + "seq", tag + "log")

    def _heard(self, message: bytes) -> None:
        """An event from the feed: ``<tag> <offset> <topic's length> <topic><data>``."""
        tag, offset, size, rest = message.split(b" ", 3)
        length = int(size)
        topic = rest[:length].decode(errors="surrogatepass")
        if self._listeners.wants(topic):
            self._listeners.deliver(Event(topic, int(offset), orjson.loads(rest[length:])))
        echo = self._echoes.get(tag)
        if echo is not None and not echo.done():
            echo.set_result(None)

    def _lost(self) -> None:
        """The feed dropped: no publish waits for an event it may never hear."""
        for echo in self._echoes.values():
            if not echo.done():
                echo.set_result(None)


def _id(offset: int) -> str:
    """The Stream id of ``offset``, clamped to the ids a Stream can hold."""
    return str(min(max(offset, 0), _MAX_ID))


def _events(topic: str, entries: Iterable[tuple[bytes, bytes]]) -> list[Event]:
    return [
        Event(topic, int(entry_id.partition(b"-")[0]), orjson.loads(data))
        for entry_id, data in entries
    ]
