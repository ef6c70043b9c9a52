"""One subscription: what a handler's `<ns>.subscribe` opens on a client's stream.

Notifications take geth's shape, with one method name for every topic:

    {"jsonrpc": "2.0", "method": "rpc.subscription",
     "params": {"subscription": "0x…", "result": …, "offset": 7}}

`offset` is there for topics with history; with the epoch that `subscribe` answered, it
is where a client resumes after a gap. A subscription the server ends (a slow client, a
closed room) gets one last notification with `error` in place of `result`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import orjson
from pydantic import BaseModel, Field, JsonValue

from app.events.models import Event, Position, Replay
from app.events.store import EventStore
from app.rpc.errors import InternalError, RPCError

log = logging.getLogger("app.rpc")

NOTIFICATION_METHOD = "rpc.subscription"
SubscriptionId = Annotated[
    str, Field(pattern=r"^0x[0-9a-f]{16}$", description="What subscribe answered.")
]


class Subscribed(BaseModel):
    """A subscription's id, and where its topic was when it began."""

    subscription: SubscriptionId
    epoch: str | None = Field(
        description="The topic's epoch: resume with `since: {epoch, offset}`; null: no history."
    )
    offset: int = Field(description="The topic's newest offset when the subscription began.")
    recovered: bool = Field(
        description="Every event after the asked-for position was sent: nothing was missed."
    )


Send = Callable[[bytes, str | None], bool]
"""Queue a notification (with its SSE event id); False if the client cannot take it."""


class Subscription:
    """Notifications for one client, queued until the answer to `subscribe` is out."""

    def __init__(
        self,
        namespace: str,
        send: Send,
        on_end: Callable[[Subscription], None],
        resume: Position | None = None,
        backlog: Send | None = None,
    ) -> None:
        self.id = "0x" + secrets.token_hex(8)
        self.namespace = namespace
        self._resume = resume
        self._send = send
        self._backlog = backlog or send
        """Queues what was held until `activate`: the replay is part of the answer, so
        unlike a live notification it cannot get the client cut off."""
        self._on_end = on_end
        self._held: list[tuple[bytes, str | None]] | None = []
        self._epoch: str | None = None
        self._stops: list[Callable[[], None]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._finishing = False
        self.ended = False

    def push(self, result: JsonValue, offset: int | None = None) -> None:
        """Notify the client; never waits. A client too slow to take it is cut off."""
        if self.ended:
            return
        params: dict[str, Any] = {"subscription": self.id, "result": result}
        if offset is not None:
            params["offset"] = offset
        event_id = None if offset is None or self._epoch is None else f"{self._epoch}:{offset}"
        self._queue(_notification(params), event_id)

    def _queue(self, body: bytes, event_id: str | None) -> None:
        if self._held is not None:
            self._held.append((body, event_id))
        elif not self._send(body, event_id):
            self.end()

    def activate(self) -> None:
        """The answer to `subscribe` has gone out: send what waited, then live."""
        held, self._held = self._held, None
        for body, event_id in held or ():
            if not self._backlog(body, event_id):
                self.end()
                return
        if self._finishing:
            self.end()

    def finish(self) -> None:
        """End once what was pushed is sent: there is nothing more to tell (a followed task
        has ended), and a client streaming over HTTP sees its stream end."""
        if self._held is not None:
            self._finishing = True  # its answer is not out yet: end right after it
        else:
            # Soon, not now: a `select` finishing it has yet to have its result pushed.
            asyncio.get_running_loop().call_soon(self.end)

    async def follow(
        self,
        events: EventStore,
        topic: str,
        since: Position | None,
        select: Callable[[JsonValue], JsonValue | None] | None = None,
    ) -> Replay:
        """Notify each event of `topic`: first those after `since` the topic still
        holds, then live ones, each once and in order. `select` maps an event's data to
        what is sent, or None to skip it. With no `since`, where the client's stream asked
        to resume (an event stream's `Last-Event-ID`)."""
        since = since or self._resume
        pending: list[Event] | None = []
        last = since.offset if since is not None else 0

        def forward(event: Event) -> None:
            nonlocal last
            if event.offset <= last:
                return
            last = event.offset
            result = event.data if select is None else select(event.data)
            if result is not None:
                self.push(result, event.offset)

        def deliver(event: Event) -> None:
            if pending is not None:
                pending.append(event)  # until the replay is read: no gap, no repeat
            else:
                forward(event)

        self._stops.append(events.listen(topic, deliver))
        replay = await events.replay(topic, since)
        self._epoch = replay.position.epoch
        if not replay.recovered:
            last = replay.position.offset  # nothing to resume: live from here
        for event in replay.events:
            forward(event)
        held, pending = pending or [], None
        for event in held:
            forward(event)
        return replay

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` (a producer, a watcher) for as long as the subscription lives."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            correlation_id = uuid.uuid4().hex
            log.error(
                "subscription %s failed (correlation %s)",
                self.id,
                correlation_id,
                exc_info=task.exception(),
            )
            self.end(InternalError(data={"correlation_id": correlation_id}))

    def subscribed(self, replay: Replay | None = None) -> Subscribed:
        """The answer to `subscribe`."""
        if replay is None:
            return Subscribed(subscription=self.id, epoch=None, offset=0, recovered=False)
        return Subscribed(
            subscription=self.id,
            epoch=replay.position.epoch,
            offset=replay.position.offset,
            recovered=replay.recovered,
        )

    def end(self, error: RPCError | None = None) -> None:
        """Stop notifying: with `error`, tell the client why first."""
        if self.ended:
            return
        self.ended = True
        if error is not None and self._held is None:
            self._send(_notification({"subscription": self.id, "error": error.to_error()}), None)
        for stop in self._stops:
            stop()
        for task in self._tasks:
            task.cancel()
        self._on_end(self)


def _notification(params: dict[str, Any]) -> bytes:
    return orjson.dumps({"jsonrpc": "2.0", "method": NOTIFICATION_METHOD, "params": params})
