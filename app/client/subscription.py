"""One subscription a ``WsClient`` follows: its notifications' results, in order, across
reconnects, and where it is in its topic (``epoch``, ``offset``) to resume from.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from app.client.ws import WsClient


@dataclass(frozen=True, slots=True)
class _Notified:
    result: Any
    offset: int | None


class _Ended:
    """Put after the last result: the iteration stops, or raises ``error``."""

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


class Subscription:
    """``async for result in subscription``: each notification's ``result`` as it comes.

    ``offset`` is that of the last result given out that had one (else where the topic was
    at subscribing); ``recovered`` is what the latest (re)subscribe answered: after a
    reconnect, true if the server still held every event since, false if some may be lost
    (a restarted memory store, history that ran out). ``resumed`` counts the reconnects.
    """

    def __init__(self, client: WsClient, method: str, params: dict[str, Any]) -> None:
        self.method = method
        self.params = params
        self.epoch: str | None = None
        self.offset = 0
        self.received = 0
        """The offset of the newest notification read off the socket: where a resume starts."""
        self.recovered = False
        self.resumed = 0
        self._client = client
        self._queue: asyncio.Queue[_Notified | _Ended] = asyncio.Queue()
        self._started = False
        self._answers = 0
        self._asked: int | None = None

    async def start(self) -> Self:
        """Subscribe, if not yet done; raises the subscribe call's error."""
        if not self._started:
            self._started = True
            try:
                await self._client.follow(self)
            except BaseException:
                self._started = False
                raise
        return self

    async def close(self) -> None:
        """Unsubscribe (if the socket is open) and end the iteration."""
        await self._client.unfollow(self)
        self.ended(None)

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Any:
        await self.start()
        item = await self._queue.get()
        if isinstance(item, _Ended):
            self._queue.put_nowait(item)  # every later call ends the same way
            if item.error is not None:
                raise item.error
            raise StopAsyncIteration
        if item.offset is not None:
            self.offset = item.offset
        return item.result

    # ---- fed by the client ---------------------------------------------------------

    def asking(self) -> dict[str, Any]:
        """The params of the next subscribe: resuming from where this one got, if anywhere."""
        params = dict(self.params)
        if self.epoch is not None:
            params["since"] = {"epoch": self.epoch, "offset": self.received}
        since = params.get("since")
        offset = since.get("offset") if isinstance(since, dict) else None
        self._asked = offset if isinstance(offset, int) else None
        return params

    def answered(self, answer: dict[str, Any]) -> None:
        """The subscribe answer, read before any notification after it."""
        if self._answers:
            self.resumed += 1
        self._answers += 1
        self.recovered = bool(answer.get("recovered"))
        self.epoch = answer.get("epoch")
        if self.recovered and self._asked is not None:
            self.received = self._asked  # what follows is everything after it
        else:
            self.received = int(answer.get("offset") or 0)  # live from where the topic is
        if not self.resumed:
            self.offset = self.received

    def notified(self, result: Any, offset: int | None) -> None:
        if offset is not None:
            self.received = offset
        self._queue.put_nowait(_Notified(result, offset))

    def ended(self, error: BaseException | None) -> None:
        self._queue.put_nowait(_Ended(error))
