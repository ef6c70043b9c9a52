"""Streaming HTTP: a POST /rpc that accepts ``text/event-stream`` and opens a subscription
is answered with an event stream (MCP's Streamable HTTP, read by ``curl -N`` or ``fetch``).

The first event carries the JSON-RPC answer; each later one a notification, with
``id: <epoch>:<offset>`` where its topic keeps history, so a client that reconnects with
``Last-Event-ID`` resumes where it left off. A request that opens no subscription is
answered as plain JSON, as if it had not asked for a stream.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping

from aiohttp import hdrs, web
from aiohttp.abc import AbstractStreamWriter
from pydantic import ValidationError

from app.events.models import Position
from app.rpc.access import Principal
from app.rpc.dispatch import Dispatcher
from app.rpc.session import Session, Stream
from app.transport.admission import Admission
from app.transport.edge import Edge
from app.transport.streams import CLOSE_TIMEOUT_S, Streams, flush_or_drop

PING_S = 15.0
"""A comment this often keeps proxies from timing the stream out, and finds a gone client."""
HEADERS = {
    hdrs.CONTENT_TYPE: "text/event-stream",
    hdrs.CACHE_CONTROL: "no-cache",
    "X-Accel-Buffering": "no",  # nginx: pass each event on at once
}
SLOW = b"cut off: notifications were not read; reconnect with Last-Event-ID to resume"
_EVENT_ID = re.compile(r"^([A-Za-z0-9_-]{1,64}):(\d{1,19})$")


def wants_stream(headers: Mapping[str, str]) -> bool:
    accept = headers.get(hdrs.ACCEPT)
    return accept is not None and "text/event-stream" in accept


def resume_point(headers: Mapping[str, str]) -> Position | None:
    """The position a ``Last-Event-ID`` names, or None (absent or not one of ours)."""
    match = _EVENT_ID.match(headers.get("Last-Event-ID", ""))
    if match is None:
        return None
    try:
        return Position(epoch=match[1], offset=int(match[2]))
    except ValidationError:
        return None


class EventStreams:
    def __init__(
        self, edge: Edge, dispatcher: Dispatcher, streams: Streams, admission: Admission
    ) -> None:
        self._edge = edge
        self._dispatcher = dispatcher
        self._streams = streams
        self._admission = admission

    async def answer(
        self,
        request: web.Request,
        body: bytes,
        request_id: str,
        principal: Principal,
        rate_key: str,
    ) -> web.StreamResponse | bytes | None:
        """Dispatch ``body`` on a session of its own, and stream if it subscribed; if it
        did not, its answer as for any POST."""
        streams = self._streams
        streams.admit()
        cut = _CutOff(streams, request.transport)
        session = Session(streams.limits, resume_point(request.headers), on_slow=cut, single=True)
        # Counted from here, so that requests dispatching at once cannot all take the last
        # place; and shutdown reaches it even before it streams.
        streams.add(session, session.close)
        try:
            stream = Stream(session)
            out = await self._dispatcher.dispatch(
                body, request_id, request.headers, principal, rate_key, stream=stream
            )
            if not session.subscriptions:
                return out
            return await self._stream(request, request_id, session, stream, out, cut)
        finally:
            streams.discard(session)
            await session.close()

    async def _stream(
        self,
        request: web.Request,
        request_id: str,
        session: Session,
        stream: Stream,
        answer: bytes | None,
        cut: _CutOff,
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers=HEADERS)
        self._edge.finish(request, response, request_id)
        # A stream is not a request in flight: it must not hold a place others need.
        self._admission.inflight -= 1
        try:
            cut.writer = await response.prepare(request)
            if answer is not None:
                await response.write(_event(answer, None))
            stream.activate()
            await _pump(session, response)
            if session.slow:
                await cut.flushed()
                await response.write(b": " + SLOW + b"\n\n")
        except ConnectionError:
            pass  # the client went away, or was dropped for not reading
        finally:
            self._admission.inflight += 1
        return response


class _CutOff:
    """What to do when the client stops reading: its writer waits on a full socket, so
    give it a bounded time to catch up, from outside, then drop it."""

    def __init__(self, streams: Streams, transport: asyncio.Transport | None) -> None:
        self._streams = streams
        self._transport = transport
        self.writer: AbstractStreamWriter | None = None
        self._flushing: asyncio.Task[None] | None = None

    def __call__(self) -> None:
        self._streams.cut_off += 1
        if self.writer is not None:
            flush = flush_or_drop(self._transport, self.writer, CLOSE_TIMEOUT_S)
            self._flushing = asyncio.get_running_loop().create_task(flush)

    async def flushed(self) -> None:
        if self._flushing is not None:
            await self._flushing


async def _pump(session: Session, response: web.StreamResponse) -> None:
    """Write the session's notifications until it ends, with a ping when it is quiet."""
    while True:
        try:
            frame = await asyncio.wait_for(session.next(), PING_S)
        except TimeoutError:
            await response.write(b": ping\n\n")
            continue
        if frame is None:
            return
        await response.write(_event(*frame))


def _event(data: bytes, event_id: str | None) -> bytes:
    # orjson never writes a raw newline, so the body is one data: line.
    if event_id is None:
        return b"data: " + data + b"\n\n"
    return b"id: " + event_id.encode() + b"\ndata: " + data + b"\n\n"
