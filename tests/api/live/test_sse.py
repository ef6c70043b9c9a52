"""Streaming HTTP: a POST /rpc that accepts text/event-stream and subscribes is answered
with an event stream (first the JSON-RPC answer, then notifications with resumable ids)."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from app.server.keys import STREAMS
from tests.helpers.rpc import Client, MakeClient, result
from tests.helpers.sse import STREAM_HEADERS, EventStream, open_stream, subscribe
from tests.helpers.tasks import make_queue
from tests.helpers.ws import upgrade


async def submit(client: Client, payload: object = None) -> str:
    task_id: str = (await result(client, "tasks.submit", {"type": "echo", "payload": payload}))[
        "task_id"
    ]
    return task_id


async def test_a_subscribe_is_answered_with_an_event_stream(client: Client) -> None:
    stream = await open_stream(client, subscribe())
    headers = stream.response.headers
    assert headers["X-Accel-Buffering"] == "no"
    assert headers["Cache-Control"] == "no-cache"
    assert "X-Request-ID" in headers
    first = await stream.event()
    assert first is not None and first.id is None  # the answer: nothing to resume from
    assert first.data["id"] == 1
    subscribed = first.data["result"]
    assert subscribed["recovered"] is False and subscribed["offset"] == 0
    task_id = await submit(client)
    event_id, params = await stream.notification()
    assert event_id == f"{subscribed['epoch']}:1"
    assert params == {
        "subscription": subscribed["subscription"],
        "result": {"task_id": task_id, "type": "echo", "queue": "default", "state": "pending"},
        "offset": 1,
    }
    stream.close()


async def test_last_event_id_resumes_with_exactly_what_was_missed(client: Client) -> None:
    stream = await open_stream(client, subscribe())
    await stream.event()
    await submit(client, 1)
    last_id, _ = await stream.notification()
    stream.close()
    missed = [await submit(client, n) for n in (2, 3)]
    again = await open_stream(client, subscribe(), **{"Last-Event-ID": str(last_id)})
    answer = await again.event()
    assert answer is not None and answer.data["result"]["recovered"] is True
    epoch = answer.data["result"]["epoch"]
    got = [await again.notification() for _ in missed]
    assert [event_id for event_id, _ in got] == [f"{epoch}:2", f"{epoch}:3"]
    assert [params["result"]["task_id"] for _, params in got] == missed
    live = await submit(client, 4)
    event_id, params = await again.notification()  # then live, with nothing repeated
    assert (event_id, params["result"]["task_id"]) == (f"{epoch}:4", live)
    again.close()


async def test_a_last_event_id_of_another_epoch_recovers_nothing(client: Client) -> None:
    await submit(client)
    stream = await open_stream(client, subscribe(), **{"Last-Event-ID": "otherepoch:1"})
    answer = await stream.event()
    assert answer is not None
    assert answer.data["result"]["recovered"] is False
    assert answer.data["result"]["offset"] == 1
    task_id = await submit(client)
    _, params = await stream.notification()  # live from now: the old event is not replayed
    assert (params["offset"], params["result"]["task_id"]) == (2, task_id)
    stream.close()


@pytest.mark.parametrize("last", ["no such id", "e:1:2", "e:-1", "e:" + "9" * 20, ":1", "é:1"])
async def test_a_last_event_id_that_is_not_ours_is_ignored(client: Client, last: str) -> None:
    await submit(client)
    stream = await open_stream(client, subscribe(), **{"Last-Event-ID": last})
    answer = await stream.event()
    assert answer is not None
    assert (answer.data["result"]["recovered"], answer.data["result"]["offset"]) == (False, 1)
    stream.close()


async def test_a_call_that_opens_no_subscription_is_answered_as_plain_json(
    client: Client,
) -> None:
    add = {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": 1}
    for payload, expected in [
        (add, {"jsonrpc": "2.0", "result": 3, "id": 1}),
        ([add], [{"jsonrpc": "2.0", "result": 3, "id": 1}]),
        (  # refused: nothing to stream
            subscribe({"task_id": "no-such-task"}),
            {
                "jsonrpc": "2.0",
                "error": {
                    "code": 5001,
                    "message": "Task not found",
                    "data": {"task_id": "no-such-task"},
                },
                "id": 1,
            },
        ),
    ]:
        response = await client.post("/rpc", data=orjson.dumps(payload), headers=STREAM_HEADERS)
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        assert await response.json() == expected
    assert len(client.app[STREAMS]) == 0


async def test_a_batch_that_subscribes_streams_every_answer_first(client: Client) -> None:
    batch = [subscribe(id="s"), {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": 2}]
    stream = await open_stream(client, batch)
    first = await stream.event()
    assert first is not None
    assert sorted(str(answer["id"]) for answer in first.data) == ["2", "s"]
    task_id = await submit(client)
    _, params = await stream.notification()
    assert params["result"]["task_id"] == task_id
    stream.close()


async def test_event_streams_count_toward_max_streams(make_client: MakeClient) -> None:
    client = await make_client(max_streams=1)
    stream = await open_stream(client, subscribe())
    await stream.event()
    status, headers, body = await upgrade(client)
    assert (status, headers["Retry-After"], body["error"]["code"]) == (503, "5", -32005)
    response = await client.post("/rpc", data=orjson.dumps(subscribe()), headers=STREAM_HEADERS)
    assert (response.status, response.headers["Retry-After"]) == (503, "5")
    assert (await response.json())["error"]["data"] == {"limit": 1, "retry_after_s": 5}
    assert await result(client, "calc.add", [1, 1]) == 2  # plain calls are not streams
    stream.close()


async def test_an_event_stream_holds_no_in_flight_place(make_client: MakeClient) -> None:
    client = await make_client(max_inflight=1)
    streams = [await open_stream(client, subscribe()) for _ in range(3)]
    for stream in streams:
        await stream.event()
    assert await result(client, "calc.add", [1, 1]) == 2
    for stream in streams:
        stream.close()


async def read_all(stream: EventStream) -> list[int]:
    """Every notification's offset until the stream ends."""
    offsets = []
    while (event := await stream.event()) is not None:
        offsets.append(event.data["params"]["offset"])
    return offsets


async def test_shutdown_ends_each_event_stream(client: Client) -> None:
    stream = await open_stream(client, subscribe())
    await stream.event()
    await client.app[STREAMS].close_all()
    assert await read_all(stream) == []
    assert await asyncio.wait_for(stream.response.content.read(), 5) == b""


async def test_following_one_task_ends_the_stream_when_the_task_ends(
    make_client: MakeClient,
) -> None:
    q = await make_queue(make_client)
    worker = await q.worker()
    task_id = await q.submit(payload=1)
    stream = await open_stream(q.client, subscribe({"task_id": task_id}))
    await stream.event()  # the answer
    _, now = await stream.notification()
    assert now["result"]["state"] == "pending"
    await q.complete(await q.claim_one(worker), "done")
    states = [(await stream.notification())[1]["result"]["state"] for _ in range(2)]
    assert states == ["running", "succeeded"]
    assert await stream.event() is None  # so `curl -N` exits once the task has ended
