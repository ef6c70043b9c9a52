"""A JSON-RPC client over one WebSocket (GET /rpc): calls, and subscriptions that resume.

    async with Client.connect_ws("http://127.0.0.1:8080/rpc", key=key) as ws:
        await ws.call("calc.add", 2, 3)
        async with ws.subscribe("tasks.subscribe", task_id=task_id) as changes:
            async for change in changes:          # each notification's result
                print(changes.offset, change)

When the socket drops (the server shut down: 1001; this client read too slowly: 1013; the
network), calls in flight raise ``ConnectionLost``: they may have run, so only idempotent
ones, or those sent with ``retry=True``, are sent again. While subscriptions are followed,
the client reconnects with backoff and subscribes again with ``since`` {epoch, offset} of the
last notification each got; ``Subscription.recovered`` says whether nothing was missed.

Every wait is bounded: connecting and each call by ``timeout``, reconnecting by
``reconnect_for_s``, and a peer gone silent by the heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from types import TracebackType
from typing import Any, Self

import aiohttp
import orjson
from jsonrpcclient import request

from app.client.errors import ConnectionLost, Errors, TransportError
from app.client.params import to_params
from app.client.subscription import Subscription
from app.rpc.errors import RPCError

NOTIFICATION = "rpc.subscription"
HEARTBEAT_S = 30.0
"""Pings from this side too: a server gone without a close is noticed within this."""
BACKOFF_MAX_S = 5.0
CLOSE_WAIT_S = 5.0

Hook = Callable[["_Link", dict[str, Any]], None]
"""Run on an answer the moment it is read, before any frame after it (a subscription's
notifications must find the subscription)."""

_RETRYABLE = (aiohttp.ClientConnectionError, ConnectionLost, TimeoutError)


@dataclass(eq=False)
class _Link:
    """One open socket, and what only makes sense on it: calls awaiting answers, and the
    subscription ids the server gave out on it."""

    ws: aiohttp.ClientWebSocketResponse
    pending: dict[Any, tuple[asyncio.Future[dict[str, Any]], Hook | None]] = field(
        default_factory=dict
    )
    routes: dict[str, Subscription] = field(default_factory=dict)
    lost: ConnectionLost | None = None


class WsClient:
    """JSON-RPC 2.0 over one WebSocket, used as ``async with WsClient(url) as ws:``.

    It connects on first use. ``key`` is sent as ``Authorization: Bearer``; ``timeout``
    bounds connecting and each call; ``retries`` and ``backoff_s`` shape the retries of
    idempotent calls; ``reconnect_for_s`` is how long a followed subscription waits for the
    server to come back before it raises ``ConnectionLost``; ``errors`` adds domain error
    classes to raise by code.
    """

    def __init__(
        self,
        url: str,
        *,
        key: str | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff_s: float = 0.1,
        reconnect_for_s: float = 60.0,
        idempotent: Iterable[str] = (),
        errors: Iterable[type[RPCError]] = (),
    ) -> None:
        self.url = url
        self._headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._timeout = timeout
        self._retries = retries
        self._backoff_s = backoff_s
        self._reconnect_for_s = reconnect_for_s
        self.idempotent = set(idempotent)
        self.errors = Errors(errors)
        self.reconnects = 0
        """How many times the socket was opened again after it dropped."""
        self._session: aiohttp.ClientSession | None = None
        self._link: _Link | None = None
        self._opening = asyncio.Lock()
        self._followed: list[Subscription] = []
        self._reconnecting: asyncio.Task[None] | None = None
        self._readers: set[asyncio.Task[None]] = set()
        self._closed = False

    async def __aenter__(self) -> Self:
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """End every subscription, close the socket and stop reconnecting."""
        self._closed = True
        for subscription in self._followed:
            subscription.ended(None)
        self._followed.clear()
        link, self._link = self._link, None
        if link is not None:
            with contextlib.suppress(TimeoutError, aiohttp.ClientError):
                async with asyncio.timeout(CLOSE_WAIT_S):
                    await link.ws.close()
        started = [*self._readers, *([self._reconnecting] if self._reconnecting else [])]
        for task in started:
            task.cancel()
        await asyncio.gather(*started, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    # ---- calls ---------------------------------------------------------------------

    async def call(
        self, method: str, /, *args: Any, retry: bool | None = None, **kwargs: Any
    ) -> Any:
        """Call ``method`` with positional or named params; return its result or raise its error."""
        message = request(method, params=to_params(args, kwargs))
        may_retry = retry if retry is not None else method in self.idempotent
        return self._outcome(await self._send(message, may_retry))

    def subscribe(self, method: str, /, **params: Any) -> Subscription:
        """Follow ``method`` (a ``<ns>.subscribe``): ``async for result in ws.subscribe(...)``.

        It subscribes on first iteration, on ``await start()`` or in ``async with``.
        """
        return Subscription(self, method, params)

    async def connect(self) -> None:
        """Open the socket unless it is open, subscribing again to what is followed."""
        await self._open()

    async def _open(self) -> _Link:
        async with self._opening:
            if self._link is not None and self._link.lost is None:
                return self._link
            if self._session is None:
                raise RuntimeError("use the client inside `async with WsClient(...)`")
            async with asyncio.timeout(self._timeout):
                ws = await self._session.ws_connect(
                    self.url, headers=self._headers, heartbeat=HEARTBEAT_S
                )
            reopened = self._link is not None
            link = self._link = _Link(ws)
            reader = asyncio.get_running_loop().create_task(self._read(link))
            self._readers.add(reader)
            reader.add_done_callback(self._readers.discard)
            if reopened:
                self.reconnects += 1
            for subscription in list(self._followed):
                await self._resubscribe(link, subscription)
            return link

    async def _send(self, message: dict[str, Any], retry: bool, hook: Hook | None = None) -> Any:
        attempt = 0
        while True:
            try:
                return await self._request(await self._open(), message, hook)
            except _RETRYABLE:
                if not retry or attempt >= self._retries or self._closed:
                    raise
                await asyncio.sleep(self._backoff_s * 2**attempt * random.uniform(0.5, 1.5))  # noqa: S311
                attempt += 1

    async def _request(
        self, link: _Link, message: dict[str, Any], hook: Hook | None = None
    ) -> dict[str, Any]:
        if link.lost is not None:
            raise link.lost
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        link.pending[message["id"]] = (future, hook)
        try:
            try:
                await link.ws.send_bytes(orjson.dumps(message))
            except ConnectionResetError:  # closing under us: the reader will say how
                raise ConnectionLost(link.ws.close_code) from None
            async with asyncio.timeout(self._timeout):
                return await future
        finally:
            link.pending.pop(message["id"], None)

    def _outcome(self, frame: dict[str, Any]) -> Any:
        if "result" in frame:
            return frame["result"]
        if isinstance(frame.get("error"), dict):
            raise self.errors.exception(frame["error"])
        raise TransportError(200, orjson.dumps(frame))

    # ---- reading -------------------------------------------------------------------

    async def _read(self, link: _Link) -> None:
        ws, reason = link.ws, ""
        try:
            while True:
                message = await ws.receive()
                if message.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    if message.type is aiohttp.WSMsgType.CLOSE:
                        reason = str(message.extra or "")
                    break
                try:
                    frame = orjson.loads(message.data)
                except orjson.JSONDecodeError:
                    continue  # not JSON-RPC; nothing in it can be answered or followed
                if isinstance(frame, dict):
                    self._frame(link, frame)
        finally:
            self._lost(link, ConnectionLost(ws.close_code, reason))

    def _frame(self, link: _Link, frame: dict[str, Any]) -> None:
        if frame.get("method") == NOTIFICATION and isinstance(frame.get("params"), dict):
            params = frame["params"]
            subscription = link.routes.get(params.get("subscription"))
            if subscription is None:
                return  # one this client already left
            if "error" in params:
                del link.routes[params["subscription"]]
                self._unfollow(subscription)
                subscription.ended(self.errors.exception(params["error"]))
            else:
                subscription.notified(params.get("result"), params.get("offset"))
            return
        waiting = link.pending.pop(frame.get("id"), None)
        if waiting is not None and not waiting[0].done():
            future, hook = waiting
            if hook is not None:
                hook(link, frame)
            future.set_result(frame)

    def _lost(self, link: _Link, lost: ConnectionLost) -> None:
        link.lost = lost
        for future, _ in link.pending.values():
            if not future.done():
                future.set_exception(lost)
        link.pending.clear()
        self._reconnect_soon(lost)

    def _reconnect_soon(self, lost: ConnectionLost) -> None:
        if self._closed or not self._followed:
            return
        if self._reconnecting is None or self._reconnecting.done():
            self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect(lost))

    async def _reconnect(self, lost: ConnectionLost) -> None:
        """Open the socket again with backoff; past ``reconnect_for_s``, end what is followed."""
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self._reconnect_for_s
        failures = 0
        while self._followed:
            try:
                await self.connect()
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                failures += 1
                delay = min(BACKOFF_MAX_S, self._backoff_s * 2**failures)
                delay *= random.uniform(0.5, 1.0)  # noqa: S311
                if loop.time() + delay >= give_up_at:
                    gone = exc if isinstance(exc, ConnectionLost) else lost
                    for subscription in self._followed:
                        subscription.ended(gone)
                    self._followed.clear()
                    return
                await asyncio.sleep(delay)
                continue
            if self._link is not None and self._link.lost is None:
                return  # else it dropped again while subscribing: its reader saw this loop

    # ---- subscriptions -------------------------------------------------------------

    async def follow(self, subscription: Subscription) -> None:
        """Subscribe for ``subscription`` (subscribing is safe to repeat)."""
        message = request(subscription.method, params=subscription.asking() or None)
        answered_on: list[_Link] = []

        def route(link: _Link, frame: dict[str, Any]) -> None:
            _route(link, frame, subscription=subscription)
            answered_on.append(link)

        self._subscribed(await self._send(message, True, route))
        self._followed.append(subscription)
        if answered_on[0].lost is not None:  # it dropped just after answering
            self._reconnect_soon(answered_on[0].lost)

    async def _resubscribe(self, link: _Link, subscription: Subscription) -> None:
        """Subscribe again on a new socket, from the last position ``subscription`` got."""
        message = request(subscription.method, params=subscription.asking() or None)
        try:
            frame = await self._request(link, message, partial(_route, subscription=subscription))
            self._subscribed(frame)
        except (RPCError, TransportError) as error:  # e.g. the task is gone with a memory store
            self._unfollow(subscription)
            subscription.ended(error)

    def _subscribed(self, frame: dict[str, Any]) -> None:
        answer = self._outcome(frame)
        if not isinstance(answer, dict) or not isinstance(answer.get("subscription"), str):
            raise TransportError(200, orjson.dumps(frame))  # not a subscribe method

    async def unfollow(self, subscription: Subscription) -> None:
        """Stop following: unsubscribe on the open socket, if it holds the subscription."""
        self._unfollow(subscription)
        link = self._link
        if link is None or link.lost is not None:
            return
        ids = [id_ for id_, routed in link.routes.items() if routed is subscription]
        for id_ in ids:
            del link.routes[id_]
            namespace = subscription.method.rpartition(".")[0]
            message = request(f"{namespace}.unsubscribe", params={"subscription": id_})
            with contextlib.suppress(*_RETRYABLE, RPCError):
                self._outcome(await self._request(link, message))

    def _unfollow(self, subscription: Subscription) -> None:
        if subscription in self._followed:
            self._followed.remove(subscription)


def _route(link: _Link, frame: dict[str, Any], subscription: Subscription) -> None:
    """A subscribe answer, read: send that subscription's notifications on ``link`` to it,
    which learns where it starts before any of them is read."""
    answer = frame.get("result")
    if isinstance(answer, dict) and isinstance(answer.get("subscription"), str):
        link.routes[answer["subscription"]] = subscription
        subscription.answered(answer)
