"""The Redis event store's one pub/sub connection: every replica's events, as published.

If the connection drops, it subscribes again once Redis answers. What was published in
between is not heard: a subscriber sees the offsets jump (or the epoch change) and replays.
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

log = logging.getLogger("app.events")

RECONNECT_S = 1.0
_LOST = (RedisConnectionError, RedisTimeoutError, OSError)


class Feed:
    """Subscribed to ``channel`` from ``open`` to ``close``: each message goes to ``heard``,
    and ``lost`` is called when the connection drops."""

    def __init__(
        self, link: Link, channel: str, heard: Callable[[bytes], None], lost: Callable[[], None]
    ) -> None:
        self._link = link
        self._channel = channel
        self._heard = heard
        self._lost = lost
        self._pubsub: PubSub | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.subscribed = False
        """Whether messages published now will be heard."""

    async def open(self) -> None:
        self._pubsub = self._link.client.pubsub()
        await self._pubsub.subscribe(self._channel)
        self.subscribed = True
        self._task = asyncio.create_task(self._read(self._pubsub), name="events-feed")

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
                    await pubsub.subscribe(self._channel)  # connects again, as it can
                    self.subscribed = True
                    log.info("events: subscribed again; what was published meanwhile is missed")
                async for message in pubsub.listen():
                    if message["type"] == "message":
                        self._heard(message["data"])
            except _LOST as error:
                if self._closing:
                    return  # the cancel of ``close``, come out as a timeout: not an outage
                if self.subscribed:  # once per outage, not once per attempt
                    log.warning("events: lost the pub/sub connection: %s", error)
                    self.subscribed = False
                    self._lost()
                await asyncio.sleep(RECONNECT_S)
