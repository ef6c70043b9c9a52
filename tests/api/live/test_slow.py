"""A client that does not read its notifications is cut off (WebSocket close 1013, or the
end of its event stream), alone: a reading subscriber of the same topic misses nothing, the
server serves on, and the one cut off can resume from the last event it got."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import orjson
from aiohttp import ClientWebSocketResponse, WSMsgType

from app.server.keys import STREAMS
from tests.helpers.rpc import MakeClient, result
from tests.helpers.sse import open_stream, subscribe
from tests.helpers.tasks import Queue, make_queue
from tests.helpers.ws import WAIT_S, connect

RESULT_BYTES = 48 * 1024
"""Each task's result, in its completion event: a few fill any socket's buffers."""


async def finish_task(q: Queue, worker: str) -> None:
    """Submit, claim and complete one task: three events on its owner's topic."""
    await q.submit(payload=None)
    [claimed] = await q.claim(worker)
    await q.complete(claimed, os.urandom(RESULT_BYTES // 2).hex())  # no compression helps


async def subscribe_raw(ws: ClientWebSocketResponse) -> dict[str, Any]:
    """Subscribe on a bare socket (no reader of its own); what subscribe answered."""
    await ws.send_bytes(b'{"jsonrpc": "2.0", "method": "tasks.subscribe", "id": 1}')
    subscribed: dict[str, Any] = orjson.loads((await ws.receive(WAIT_S)).data)["result"]
    return subscribed


async def test_a_client_that_stops_reading_is_cut_off_and_no_one_else(
    make_client: MakeClient,
) -> None:
    q = await make_queue(
        make_client, max_queued_bytes=64 * 1024, events_history=10_000, rate_limit=0
    )
    streams = q.client.app[STREAMS]
    fast = await connect(q.client)
    await fast.result("tasks.subscribe")
    slow = await q.client.ws_connect("/rpc", compress=0)
    subscribed = await subscribe_raw(slow)
    # From here on `slow` reads nothing: its buffers fill, then its queue on the server.
    worker = await q.worker()
    tasks = 0
    async with asyncio.timeout(60):
        while streams.cut_off == 0:
            await finish_task(q, worker)
            tasks += 1
    events = 3 * tasks
    offsets = [(await fast.notification())["offset"] for _ in range(events)]
    assert offsets == list(range(1, events + 1))  # the reader missed nothing
    assert await fast.result("calc.add", [1, 2]) == 3
    assert await result(q.client, "calc.add", [2, 3]) == 5

    # Reading again, the slow client gets what was sent before the cut, then the close.
    got = []
    while (message := await slow.receive(WAIT_S)).type is WSMsgType.TEXT:
        got.append(orjson.loads(message.data)["params"]["offset"])
    assert message.type is WSMsgType.CLOSE
    assert (message.data, message.extra) == (
        1013,
        "slow consumer: notifications were not read; reconnect and resume",
    )
    assert got == list(range(1, len(got) + 1)) and len(got) < events

    # It resumes where it was cut off, missing nothing.
    again = await connect(q.client)
    since = {"epoch": subscribed["epoch"], "offset": got[-1]}
    resumed = await again.result("tasks.subscribe", {"since": since})
    assert resumed["recovered"] is True
    missed = [(await again.notification())["offset"] for _ in range(events - len(got))]
    assert missed == list(range(len(got) + 1, events + 1))
    await again.close()
    await fast.close()


async def test_an_event_stream_that_is_not_read_is_ended_and_can_resume(
    make_client: MakeClient,
) -> None:
    q = await make_queue(
        make_client, max_queued_bytes=64 * 1024, events_history=10_000, rate_limit=0
    )
    streams = q.client.app[STREAMS]
    fast = await connect(q.client)
    await fast.result("tasks.subscribe")
    slow = await open_stream(q.client, subscribe())
    answer = await slow.event()
    assert answer is not None
    epoch = answer.data["result"]["epoch"]
    worker = await q.worker()
    tasks = 0
    async with asyncio.timeout(60):
        while streams.cut_off == 0:
            await finish_task(q, worker)
            tasks += 1
    events = 3 * tasks
    offsets = [(await fast.notification())["offset"] for _ in range(events)]
    assert offsets == list(range(1, events + 1))

    got = []
    while (event := await slow.event()) is not None:
        assert event.id == f"{epoch}:{event.data['params']['offset']}"
        got.append(event.data["params"]["offset"])
    assert got == list(range(1, len(got) + 1)) and len(got) < events
    assert slow.comments[-1] == (
        "cut off: notifications were not read; reconnect with Last-Event-ID to resume"
    )

    again = await open_stream(q.client, subscribe(), **{"Last-Event-ID": f"{epoch}:{got[-1]}"})
    resumed = await again.event()
    assert resumed is not None and resumed.data["result"]["recovered"] is True
    missed = [(await again.notification())[1]["offset"] for _ in range(events - len(got))]
    assert missed == list(range(len(got) + 1, events + 1))
    again.close()
    await fast.close()
