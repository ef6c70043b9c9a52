"""JSON-RPC over a WebSocket on GET /rpc: every text frame a request, notification or batch.

The upgrade is checked like a POST (Host, then Origin: CORS does not cover WebSockets, so
this is what stops cross-site WebSocket hijacking), and the key is read once, from
``Authorization`` or, for browsers that cannot set it, ``?key=``. Each frame then goes
through the same engine, scopes and rate limits as HTTP.

One reader, one writer: the reader runs up to ``CALLS_PER_SESSION`` frames at once, and no
more while the session's outbox is full (then it stops reading, which pushes back on the
client); only the writer touches the socket.
Close codes: 1001 at shutdown (after in-flight calls are answered), 1009 for a frame over the
body limit (aiohttp's), 1013 for a client cut off for not reading its notifications.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping

import orjson
from aiohttp import WSCloseCode, WSMsgType, hdrs, web
from aiohttp.abc import AbstractStreamWriter
from aiohttp.typedefs import Handler
from multidict import CIMultiDict

from app.rpc.access import Principal
from app.rpc.dispatch import Dispatcher
from app.rpc.errors import InternalError, RPCError
from app.rpc.meter import Throttled
from app.rpc.session import Session, Stream
from app.transport.admission import Admission
from app.transport.credentials import Credentials
from app.transport.edge import Edge, Shed, error_body
from app.transport.streams import CLOSE_TIMEOUT_S, Streams, flush_or_drop

log = logging.getLogger("app.transport")

HEARTBEAT_S = 30.0
"""aiohttp sends no pings unless told: a peer gone without a close is found within this."""
CALLS_PER_SESSION = 16
SLOW = "slow consumer: notifications were not read; reconnect and resume"


def websocket_handler(
    edge: Edge,
    dispatcher: Dispatcher,
    credentials: Credentials,
    streams: Streams,
    admission: Admission,
    max_frame_bytes: int,
) -> Handler:
    """The GET /rpc handler: a WebSocket if the request asks to upgrade, else 405."""

    async def websocket(request: web.Request) -> web.StreamResponse:
        request_id = edge.request_id(request)
        ws = web.WebSocketResponse(
            heartbeat=HEARTBEAT_S,
            max_msg_size=max_frame_bytes,
            autoclose=True,
            timeout=CLOSE_TIMEOUT_S,
            # permessage-deflate holds ~100 KiB per socket (100 MiB at the default cap) and
            # adds ~13 µs per notification (bench/README): small JSON frames do not need it.
            compress=False,
        )
        try:
            if not ws.can_prepare(request).ok:
                raise web.HTTPMethodNotAllowed(request.method, ["POST", "OPTIONS"])
            cross_site = edge.guard(request, check_origin=True)
            streams.admit()
            headers: Mapping[str, str] = request.headers
            key = request.query.get("key")
            if key and hdrs.AUTHORIZATION not in headers:
                with_key = CIMultiDict(headers)
                with_key[hdrs.AUTHORIZATION] = f"Bearer {key}"
                headers = with_key
            resolved = credentials.resolve(headers, request.remote, cross_site=cross_site)
            if resolved.failed and credentials.delay_s:
                await asyncio.sleep(credentials.delay_s)
                streams.admit()  # others may have taken the last places meanwhile
        except web.HTTPException as exc:
            return edge.finish(request, edge.refusal(request, exc), request_id)
        edge.finish(request, ws, request_id)
        principal = resolved.principal
        connection = _Connection(
            ws,
            streams,
            dispatcher,
            request_id,
            headers,
            principal,
            credentials.rate_key(principal, request.remote),
            admission,
        )
        streams.add(connection.session, connection.going_away)  # no await since admit(): no race
        try:
            out = await ws.prepare(request)
            await connection.serve(request.transport, out)
        finally:
            streams.discard(connection.session)
        return ws

    return websocket


class _Connection:
    def __init__(
        self,
        ws: web.WebSocketResponse,
        streams: Streams,
        dispatcher: Dispatcher,
        request_id: str,
        headers: Mapping[str, str],
        principal: Principal,
        rate_key: str,
        admission: Admission,
    ) -> None:
        self.ws = ws
        self.session = Session(streams.limits, on_slow=self._cut_off)
        self._streams = streams
        self._dispatcher = dispatcher
        self._request_id = request_id
        self._headers = headers
        self._principal = principal
        self._rate_key = rate_key
        self._admission = admission
        self._slots = asyncio.Semaphore(CALLS_PER_SESSION)
        self._calls: set[asyncio.Task[None]] = set()
        self._frames = 0
        self._writer: asyncio.Task[None] | None = None
        self._closing: asyncio.Task[None] | None = None
        self._transport: asyncio.Transport | None = None
        self._out: AbstractStreamWriter | None = None
        self._leaving = False

    async def serve(self, transport: asyncio.Transport | None, out: AbstractStreamWriter) -> None:
        """Read frames until the socket closes; then end the session and its work."""
        self._transport, self._out = transport, out
        self._writer = asyncio.get_running_loop().create_task(self._write())
        try:
            async for message in self.ws:
                if message.type is WSMsgType.TEXT:
                    body = message.data.encode()
                elif message.type is WSMsgType.BINARY:
                    body = message.data
                else:
                    break  # an error frame (too large, malformed): aiohttp has closed
                # A client that sends calls but reads no answers is not read from either.
                await self.session.room()
                await self._slots.acquire()
                if self._leaving or self.session.closed:  # a close frame is on its way
                    self._slots.release()
                    continue
                call = asyncio.get_running_loop().create_task(self._call(body))
                self._calls.add(call)
                call.add_done_callback(self._done)
        finally:
            for call in self._calls:
                call.cancel()  # the client left: its answers have nowhere to go
            await self.session.close()
            if self._closing is not None:
                await self._closing  # bounded by CLOSE_TIMEOUT_S, twice
            # Only now: cancelling a writer waiting to drain would cancel the close's wait too.
            self._writer.cancel()

    def _done(self, call: asyncio.Task[None]) -> None:
        self._calls.discard(call)
        self._slots.release()

    async def _call(self, body: bytes) -> None:
        self._frames += 1
        request_id = f"{self._request_id}.{self._frames}"
        stream = Stream(self.session)
        admission = self._admission
        if admission.inflight >= admission.limit:
            out = _refusal(body, Shed(admission.limit).error())
            if out is not None:
                self.session.reply(out)
            return
        admission.inflight += 1
        try:
            out = await self._dispatcher.dispatch(
                body, request_id, self._headers, self._principal, self._rate_key, stream=stream
            )
        except Throttled as exc:
            out = _refusal(body, exc.error)
        except Exception:
            correlation_id = uuid.uuid4().hex
            log.exception(
                "unhandled error serving a WebSocket frame (request %s, correlation %s)",
                request_id,
                correlation_id,
            )
            out = error_body(InternalError(data={"correlation_id": correlation_id}))
        finally:
            admission.inflight -= 1
        if out is not None:
            self.session.reply(out)
        stream.activate()

    async def _write(self) -> None:
        session, ws = self.session, self.ws
        try:
            while (frame := await session.next()) is not None:
                await ws.send_frame(frame[0], WSMsgType.TEXT)
        except (ConnectionError, RuntimeError):
            return  # the socket is gone: the reader sees it too

    def _cut_off(self) -> None:
        """The session stopped for not reading: its writer waits on a full socket, and
        would wait for ever, so close from here (the frame goes after what it sent)."""
        self._streams.cut_off += 1
        self._close(WSCloseCode.TRY_AGAIN_LATER, SLOW)

    def _close(self, code: int, reason: str) -> asyncio.Task[None]:
        if self._closing is None:
            self._closing = asyncio.get_running_loop().create_task(self._send_close(code, reason))
        return self._closing

    async def _send_close(self, code: int, reason: str) -> None:
        # Not drained: a client that does not read would hold the close frame back too.
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await self.ws.close(code=code, message=reason.encode(), drain=False)
        except TimeoutError:
            pass
        if self._out is not None:
            await flush_or_drop(self._transport, self._out, CLOSE_TIMEOUT_S)

    async def going_away(self) -> None:
        """Shutdown: read no more, answer what is in flight, then close with 1001."""
        self._leaving = True
        if self._calls:
            _, late = await asyncio.wait(list(self._calls), timeout=self._streams.grace_s)
            for call in late:
                call.cancel()  # past the shutdown timeout, as aiohttp does over HTTP
        self.session.stop()
        if self._writer is not None:
            # What was queued goes out first, unless the client has stopped reading.
            await asyncio.wait([self._writer], timeout=CLOSE_TIMEOUT_S)
            if not self._writer.done() and self._transport is not None:
                self._transport.abort()  # too slow even for its last frames: dropped
                return
        await self._close(WSCloseCode.GOING_AWAY, "server shutting down")


def _refusal(body: bytes, error: RPCError) -> bytes | None:
    """``error`` as the answer to each request of a frame refused whole (shed, throttled).

    Over HTTP one refusal with id null answers the request; on a socket a client matches
    answers to calls by id, so each call gets its own, and notifications none.
    """
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return error_body(error)
    docs = doc if type(doc) is list else [doc]
    answers = [
        {"jsonrpc": "2.0", "error": error.to_error(), "id": _id(item)}
        for item in docs
        if type(item) is not dict or "id" in item
    ]
    if not answers:
        return None if docs else error_body(error)
    return orjson.dumps(answers if type(doc) is list else answers[0])


def _id(item: object) -> object:
    """The id to answer ``item`` with: its own if it is one JSON-RPC allows, else null."""
    if type(item) is not dict:
        return None
    id_ = item.get("id")
    return id_ if id_ is None or type(id_) in (str, int, float) else None
