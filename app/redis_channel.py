"""One Redis pub/sub channel, heard from ``open`` to ``close``, through outages.

A store that hears other replicas over pub/sub (the task store's wake-ups, the event
store's events) keeps one connection subscribed. If it drops, it subscribes again once
Redis answers: what was published meanwhile is not heard, so the owner is told when the
channel is lost and when it is found again, and recovers in its own way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.redis_link import Link

RECONNECT_S = 1.0
_LOST = (RedisConnectionError, RedisTimeoutError, OSError)


def _nothing() -> None:
    return


class Channel:
    """Each message on ``name`` goes to ``heard``; ``lost`` is told once per outage, and
    ``found`` once the channel is subscribed again."""

    def __init__(
        self,
        link: Link,
        name: str,
        heard: Callable[[bytes], None],
        *,
        what: str,
        log: logging.Logger,
        lost: Callable[[], None] = _nothing,
        found: Callable[[], None] = _nothing,
    ) -> None:
        self._link = link
        self._name = name
        self._heard = heard
        self._what = what
        """What the channel carries, for the log ("task wake-ups")."""
        self._log = log
        """The owner's logger: an outage is logged as the owner's."""
        self._lost = lost
        self._found = found
        self._pubsub: PubSub | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.subscribed = False
        """Whether messages published now will be heard."""

    async def open(self) -> None:
        self._pubsub = self._link.client.pubsub()
        await self._pubsub.subscribe(self._name)
        self.subscribed = True
        self._task = asyncio.create_task(self._read(self._pubsub), name=self._what)

    async def close(self) -> None:
        # The flag as well as the cancel: a cancel that races redis-py's own timeout may
        # come out as a TimeoutError, which the loop would take for a lost connection.
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._pubsub is not None:
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
            self._pubsub = None

    async def _read(self, pubsub: PubSub) -> None:
        while True:
            try:
                if not self.subscribed:
                    await pubsub.subscribe(self._name)  # connects again, as it can
                    self.subscribed = True
                    self._log.info("%s: subscribed again", self._what)
                    self._found()
                async for message in pubsub.listen():
                    if message["type"] == "message":
                        self._heard(message["data"])
            except _LOST as error:
                if self._closing:
                    return  # the cancel of ``close``, come out as a timeout: not an outage
                if self.subscribed:  # once per outage, not once per attempt
                    self._log.warning("%s: lost the pub/sub connection: %s", self._what, error)
                    self.subscribed = False
                    self._lost()
                await asyncio.sleep(RECONNECT_S)
