"""The Redis store's one pub/sub connection: the wake-ups other replicas' scripts publish.

Each message is ``<origin> <wake-up> ...``; a replica skips its own (it reacted to its
scripts' replies already) and hands the others to ``heard``. If the connection drops, it
subscribes again once Redis answers and reports a wake-up for every claim, since what was
published meanwhile is lost.
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

log = logging.getLogger("app.tasks")

RECONNECT_S = 1.0
_LOST = (RedisConnectionError, RedisTimeoutError, OSError)


class Listener:
    """Subscribed to ``channel`` from ``open`` to ``close``."""

    def __init__(
        self, link: Link, channel: str, origin: str, heard: Callable[[list[bytes]], None]
    ) -> None:
        self._link = link
        self._channel = channel
        self._origin = origin.encode()
        self._heard = heard
        self._pubsub: PubSub | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    async def open(self) -> None:
        self._pubsub = self._link.client.pubsub()
        await self._pubsub.subscribe(self._channel)
        self._task = asyncio.create_task(self._listen(self._pubsub), name="tasks-wakeups")

    async def close(self) -> None:
        # The flag as well as the cancel: a cancel that races redis-py's own timeout may
        # come out as a TimeoutError, which the loop takes for a lost connection.
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._pubsub is not None:
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
            self._pubsub = None

    async def _listen(self, pubsub: PubSub) -> None:
        lost = False
        while not self._closing:
            try:
                if lost:
                    await pubsub.subscribe(self._channel)  # connects again, as it can
                    lost = False
                    log.info("task wake-ups: subscribed again")
                    self._heard([b"r"])
                async for message in pubsub.listen():
                    if message["type"] != "message":
                        continue
                    origin, _, wakeups = message["data"].partition(b" ")
                    if origin != self._origin:
                        self._heard(wakeups.split())
            except _LOST as error:
                if not lost:
                    log.warning("task wake-ups: connection lost: %s", error)
                lost = True
                await asyncio.sleep(RECONNECT_S)
