"""An async client for rpc-hub, or any JSON-RPC 2.0 server over HTTP (aiohttp + jsonrpcclient).

    async with Client("http://127.0.0.1:8080/rpc") as client:
        await client.call("calc.add", 2, 3)                           # by position
        await client.call("weather.get_temperature", city="London")   # by name
        await client.notify("calc.update", 1, 2, 3)
        async with client.batch() as batch:
            total = batch.call("calc.sum", 1, 2, 4)
            data = batch.call("calc.get_data")
        total.result(), data.result()

JSON-RPC errors are raised as the classes of ``app.rpc.errors`` (``MethodNotFound``,
``InvalidParams``, …), or as the domain classes passed in ``errors=``, or else as
``RemoteError``; each carries ``code``, ``message`` and ``data``.

Connection errors are retried with exponential backoff and jitter, but only for methods
known to be idempotent (``idempotent=``, or learned from ``discover()``), or when a call asks
with ``retry=True``: repeating a call that may have run is the caller's decision.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Self

import aiohttp
import orjson
from jsonrpcclient import Error, Ok, notification, request
from jsonrpcclient.responses import to_response

from app.client.errors import Errors, RemoteError, TransportError
from app.client.params import to_params
from app.client.ws import WsClient
from app.rpc.errors import RPCError

_RETRYABLE = (aiohttp.ClientConnectionError, asyncio.TimeoutError)
_LONGEST_WAIT_S = 30.0
"""The longest Retry-After the client honours before it tries again anyway."""


class Client:
    """A JSON-RPC 2.0 client over HTTP, used as ``async with Client(url) as client:``.

    ``timeout`` bounds each HTTP request in seconds; ``retries`` and ``backoff_s`` shape the
    retries of idempotent calls; ``errors`` adds domain error classes to raise by code.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff_s: float = 0.2,
        idempotent: Iterable[str] = (),
        errors: Iterable[type[RPCError]] = (),
    ) -> None:
        self.url = url
        self._headers = {"Content-Type": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._retries = retries
        self._backoff_s = backoff_s
        self.idempotent = set(idempotent)
        self._errors = Errors(errors)
        self._session: aiohttp.ClientSession | None = None

    @staticmethod
    def connect_ws(
        url: str,
        *,
        key: str | None = None,
        timeout: float = 30.0,
        reconnect_for_s: float = 60.0,
        errors: Iterable[type[RPCError]] = (),
    ) -> WsClient:
        """A WebSocket session instead: ``async with Client.connect_ws(url, key=k) as ws:``."""
        return WsClient(
            url, key=key, timeout=timeout, reconnect_for_s=reconnect_for_s, errors=errors
        )

    async def __aenter__(self) -> Self:
        self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(
        self, method: str, /, *args: Any, retry: bool | None = None, **kwargs: Any
    ) -> Any:
        """Call ``method`` with positional or named params; return its result or raise its error."""
        message = request(method, params=to_params(args, kwargs))
        body = await self._send(message, self._may_retry([method], retry))
        return self._outcome(to_response(body))

    async def notify(self, method: str, /, *args: Any, **kwargs: Any) -> None:
        """Send a notification: no response, and no error, ever comes back."""
        await self._send(notification(method, params=to_params(args, kwargs)), retry=False)

    async def send(self, payload: Any, *, retry: bool = False) -> Any:
        """POST any JSON-RPC payload (a request, a notification or a batch) as it is.

        Returns the decoded response body, or None for a 204; JSON-RPC errors in it are
        returned, not raised. For tools such as ``rpc-hub call`` that show responses raw.
        """
        return await self._post(payload, retry)

    def batch(self, *, retry: bool | None = None) -> Batch:
        """Collect calls in ``async with client.batch() as b:``; they are sent when it ends."""
        return Batch(self, retry)

    async def discover(self) -> dict[str, Any]:
        """The server's OpenRPC document; methods it marks idempotent become retryable."""
        document: dict[str, Any] = await self.call("rpc.discover", retry=True)
        self.idempotent.update(
            method["name"] for method in document["methods"] if method.get("x-idempotent")
        )
        return document

    def error(self, error: dict[str, Any]) -> RPCError:
        """The exception for a JSON-RPC error object."""
        return self._errors.exception(error)

    def _outcome(self, response: Ok | Error) -> Any:
        if isinstance(response, Ok):
            return response.result
        raise self.error(
            {"code": response.code, "message": response.message, "data": response.data}
        )

    def _may_retry(self, methods: Iterable[str], retry: bool | None) -> bool:
        if retry is not None:
            return retry
        return all(method in self.idempotent for method in methods)

    async def _send(self, payload: Any, retry: bool) -> Any:
        """POST ``payload``; return the decoded response body (None for 204).

        An error answered for the request as a whole (HTTP 413 or 415, a parse error) is raised.
        """
        decoded = await self._post(payload, retry)
        if isinstance(decoded, dict) and "error" in decoded and decoded.get("id") is None:
            raise self.error(decoded["error"])
        return decoded

    async def _post(self, payload: Any, retry: bool) -> Any:
        if self._session is None:
            raise RuntimeError("use the client inside `async with Client(...)`")
        data = orjson.dumps(payload)
        attempt = 0
        while True:
            try:
                async with self._session.post(
                    self.url, data=data, headers=self._headers
                ) as response:
                    raw = await response.read()
                    wait = _retry_after(response)
            except _RETRYABLE:
                if not retry or attempt >= self._retries:
                    raise
                await asyncio.sleep(self._backoff_s * 2**attempt * random.uniform(0.5, 1.5))  # noqa: S311
                attempt += 1
                continue
            # Refused whole, before any call ran (rate limited, or shedding load): the server
            # says when to come back, and nothing happened, so any call may be sent again.
            if wait is None or attempt >= self._retries:
                break
            await asyncio.sleep(wait)
            attempt += 1
        if response.status == 204 or (response.status == 200 and not raw):
            return None  # notifications only (200 where RPC_NOTIFICATION_STATUS=200)
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise TransportError(response.status, raw) from None


def _retry_after(response: aiohttp.ClientResponse) -> float | None:
    """Seconds to wait before sending a request refused whole with 429 or 503 again."""
    if response.status not in (429, 503):
        return None
    try:
        seconds = float(response.headers.get("Retry-After", "1"))
    except ValueError:
        seconds = 1.0
    return min(max(seconds, 0.0), _LONGEST_WAIT_S)


class Batch:
    """Calls collected for one HTTP request; each ``call`` returns a future of its result."""

    def __init__(self, client: Client, retry: bool | None) -> None:
        self._client = client
        self._retry = retry
        self._messages: list[dict[str, Any]] = []
        self._futures: dict[Any, asyncio.Future[Any]] = {}

    def call(self, method: str, /, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:
        message = request(method, params=to_params(args, kwargs))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._messages.append(message)
        self._futures[message["id"]] = future
        return future

    def notify(self, method: str, /, *args: Any, **kwargs: Any) -> None:
        self._messages.append(notification(method, params=to_params(args, kwargs)))

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is not None or not self._messages:
            for future in self._futures.values():
                future.cancel()
            return
        methods = [message["method"] for message in self._messages if "id" in message]
        retry = self._client._may_retry(methods, self._retry)
        try:
            body = await self._client._send(self._messages, retry)
        except BaseException:
            for future in self._futures.values():
                future.cancel()  # the batch's own error is raised from the `async with`
            raise
        for item in body or ():
            response = to_response(item)
            if response.id not in self._futures:
                continue  # an invalid entry's answer carries no id to match
            future = self._futures.pop(response.id)
            try:
                future.set_result(self._client._outcome(response))
            except RPCError as error:
                future.set_exception(error)
        for future in self._futures.values():
            future.set_exception(RemoteError(-32603, "no response for this call in the batch"))
