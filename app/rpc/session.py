"""A client connection that can be notified: its outbox, and the subscriptions it holds.

The transport gives each WebSocket session (and each event stream) one ``Session`` and one
writer that drains ``next()``. Everything else only queues: fan-out never awaits a socket.
Answers to calls always queue, and so does what a subscription missed (its replay, part of
the answer to subscribe, bounded by the topic's history). Live notifications queue only
while the client keeps up: the first that would take the live ones queued past
``max_queued_bytes`` cuts the client off (``slow``): its subscriptions end and the transport
closes the connection, after which it may resume. The transport stops reading calls while
more than that is queued (``room``), so unread answers cannot pile up either.

Each request on the connection sees it through a ``Stream``, which holds back the
notifications of the subscriptions that request opens until its answer has been queued.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from app.events.models import Position
from app.rpc.errors import QuotaExceeded
from app.rpc.subscriptions import Subscription

log = logging.getLogger("app.rpc")

Outgoing = tuple[bytes, str | None]
"""A frame to write, and its SSE event id (for a notification with an offset)."""
_Queued = tuple[bytes, str | None, bool]
"""A frame, its event id, and whether it is a live notification (counted for ``slow``)."""


@dataclass(frozen=True, slots=True)
class SessionLimits:
    max_subscriptions: int = 1024
    """jsonrpsee's default."""
    max_queued_bytes: int = 1024 * 1024
    """Centrifugo's default for cutting off a slow client."""


class Session:
    def __init__(
        self,
        limits: SessionLimits,
        resume: Position | None = None,
        on_slow: Callable[[], None] | None = None,
        *,
        single: bool = False,
    ) -> None:
        self.id = secrets.token_hex(8)
        self.single = single
        """It lives for its subscriptions (an event stream): stop once the last one ends."""
        self.resume = resume
        """Where the client asked to resume (an event stream's Last-Event-ID)."""
        self._limits = limits
        self._on_slow = on_slow
        """Told once when the client is cut off: its writer is likely stuck on a full socket,
        so the transport must close it from outside, not wait for ``next()`` to say so."""
        self._queue: deque[_Queued] = deque()
        self.queued_bytes = 0
        self._live_bytes = 0
        self._ready = asyncio.Event()
        self._room = asyncio.Event()
        self._subscriptions: dict[str, Subscription] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._closers: dict[str, Callable[[], Awaitable[None]]] = {}
        self.closed = False
        self.slow = False
        """Cut off for not reading its notifications."""

    @property
    def subscriptions(self) -> int:
        return len(self._subscriptions)

    def reply(self, body: bytes) -> None:
        """Queue the answer to a request: answers are never dropped."""
        if not self.slow:  # a client cut off gets nothing more
            self._put(body, None, live=False)

    def _notify(self, body: bytes, event_id: str | None) -> bool:
        if self.closed:
            return False
        if self._live_bytes + len(body) > self._limits.max_queued_bytes:
            log.warning(
                "session %s cut off: %d bytes of notifications not read", self.id, self._live_bytes
            )
            self.slow = True
            self._queue.clear()
            self.queued_bytes = self._live_bytes = 0
            self.stop()
            if self._on_slow is not None:
                self._on_slow()
            return False
        self._put(body, event_id, live=True)
        return True

    def _backlog(self, body: bytes, event_id: str | None) -> bool:
        """Queue what a new subscription missed: all of it, as the answer it belongs to."""
        if self.closed:
            return False
        self._put(body, event_id, live=False)
        return True

    def _put(self, body: bytes, event_id: str | None, *, live: bool) -> None:
        self._queue.append((body, event_id, live))
        self.queued_bytes += len(body)
        if live:
            self._live_bytes += len(body)
        self._ready.set()

    async def next(self) -> Outgoing | None:
        """The next frame to write; None once the session has stopped and its queue is empty."""
        while not self._queue:
            if self.closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        body, event_id, live = self._queue.popleft()
        self.queued_bytes -= len(body)
        if live:
            self._live_bytes -= len(body)
        if self.queued_bytes <= self._limits.max_queued_bytes:
            self._room.set()
        return body, event_id

    async def room(self) -> None:
        """Return once no more than ``max_queued_bytes`` wait to be written (or the session
        has stopped): the transport reads no more calls until then."""
        while self.queued_bytes > self._limits.max_queued_bytes and not self.closed:
            self._room.clear()
            await self._room.wait()

    def open(self, namespace: str) -> Subscription:
        """A new subscription, or -32006 once the session holds its limit of them."""
        limit = self._limits.max_subscriptions
        if len(self._subscriptions) >= limit:
            raise QuotaExceeded(
                "Too many subscriptions: unsubscribe from some, or open another connection",
                data={"resource": "subscriptions", "limit": limit, "held": limit},
            )
        subscription = Subscription(
            namespace, self._notify, self._ended, self.resume, backlog=self._backlog
        )
        self._subscriptions[subscription.id] = subscription
        return subscription

    def _ended(self, subscription: Subscription) -> None:
        self._subscriptions.pop(subscription.id, None)
        if self.single and not self._subscriptions:
            self.stop()  # an event stream carries one subscription: it ends with it

    def unsubscribe(self, namespace: str, subscription_id: str) -> bool:
        """End one of this session's subscriptions of ``namespace``: False if it is not one."""
        subscription = self._subscriptions.get(subscription_id)
        if subscription is None or subscription.namespace != namespace:
            return False
        subscription.end()
        return True

    def spawn(self, key: str, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` for as long as the session lives, in place of the work spawned
        before under the same ``key`` (a chat seat's presence refresh, say)."""
        old = self._tasks.pop(key, None)
        if old is not None:
            old.cancel()
        if self.closed:
            work.close()
            return
        task = asyncio.get_running_loop().create_task(work)
        self._tasks[key] = task
        task.add_done_callback(lambda done: self._forget_task(key, done))

    def _forget_task(self, key: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]
        if not task.cancelled() and task.exception() is not None:
            log.error("session %s: %s failed", self.id, key, exc_info=task.exception())

    def at_close(self, key: str, closer: Callable[[], Awaitable[None]]) -> None:
        """Await ``closer`` when the session ends (leave a chat room, say), in place of
        the one set before under the same ``key``."""
        self._closers[key] = closer

    def stop(self) -> None:
        """End every subscription and task now; the writer still sends what is queued."""
        self.closed = True
        self._ready.set()
        self._room.set()
        for subscription in list(self._subscriptions.values()):
            subscription.end()
        for task in list(self._tasks.values()):
            task.cancel()

    async def close(self) -> None:
        """Stop, then run what the handlers asked for at close; one failing spares the rest."""
        self.stop()
        closers, self._closers = self._closers, {}
        for closer in closers.values():
            try:
                await closer()
            except Exception:
                log.exception("closing session %s: a handler's clean-up failed", self.id)


class Stream:
    """A session as one request's handlers see it (through ``CallContext.stream``)."""

    __slots__ = ("_opened", "session")

    def __init__(self, session: Session) -> None:
        self.session = session
        self._opened: list[Subscription] = []

    @property
    def id(self) -> str:
        """The session's id: a key for what a handler keeps per connection."""
        return self.session.id

    @property
    def resume(self) -> Position | None:
        return self.session.resume

    @asynccontextmanager
    async def subscription(self, namespace: str) -> AsyncIterator[Subscription]:
        """Open a subscription for the block: kept if the block returns, ended if it raises."""
        subscription = self.session.open(namespace)
        try:
            yield subscription
        except BaseException:
            subscription.end()
            raise
        self._opened.append(subscription)

    def unsubscribe(self, namespace: str, subscription_id: str) -> bool:
        return self.session.unsubscribe(namespace, subscription_id)

    def spawn(self, key: str, work: Coroutine[Any, Any, None]) -> None:
        self.session.spawn(key, work)

    def at_close(self, key: str, closer: Callable[[], Awaitable[None]]) -> None:
        self.session.at_close(key, closer)

    def activate(self) -> None:
        """This request's answer is queued: its subscriptions may now notify."""
        for subscription in self._opened:
            subscription.activate()
        self._opened.clear()
