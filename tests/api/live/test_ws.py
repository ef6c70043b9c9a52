"""JSON-RPC over the WebSocket on GET /rpc: the same engine, frame by frame."""

from __future__ import annotations

import asyncio

import orjson
from aiohttp import WSMsgType

from app.clock import ManualClock
from tests.helpers.probe import Probe
from tests.helpers.rpc import Client, MakeClient, post, result
from tests.helpers.ws import WAIT_S, connect


async def test_a_call_a_batch_and_a_notification_share_one_socket(client: Client) -> None:
    socket = await connect(client)
    assert await socket.result("calc.add", [2, 3]) == 5
    batch = [
        {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 1], "id": "a"},
        {"jsonrpc": "2.0", "method": "calc.update", "params": [1]},
        {"jsonrpc": "2.0", "method": "calc.subtract", "params": [5, 2], "id": "b"},
    ]
    answers = await socket.request(batch, ("a", "b"))
    assert sorted((a["id"], a["result"]) for a in answers) == [("a", 2), ("b", 3)]
    await socket.ws.send_bytes(orjson.dumps({"jsonrpc": "2.0", "method": "calc.update"}))
    assert await socket.result("calc.add", [0, 1]) == 1  # the notification got no answer
    await socket.close()


async def test_errors_come_back_as_over_http(client: Client) -> None:
    socket = await connect(client)
    assert (await socket.error("calc.nope"))["code"] == -32601
    assert (await socket.error("calc.add", ["x", 1]))["code"] == -32602
    batch = [1, {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": 7}]
    answers = await socket.request(batch, ("7", "None"))
    assert sorted(str(a.get("result", a.get("error", {}).get("code"))) for a in answers) == [
        "-32600",
        "3",
    ]
    await socket.close()


async def test_a_frame_that_is_not_json_is_answered_and_the_socket_stays_open(
    client: Client,
) -> None:
    socket = await connect(client)
    answer = await socket.request(b'{"jsonrpc": "2.0", "method": ', None)
    assert answer["error"]["code"] == -32700
    assert answer["id"] is None
    for frame in (b"[", b"\xff\xfe", b""):  # unfinished, not UTF-8, empty
        assert (await socket.request(frame, None))["error"]["code"] == -32700
    assert await socket.result("calc.add", [2, 2]) == 4
    assert not socket.closed.done()
    await socket.close()


async def test_a_frame_over_the_body_limit_closes_the_socket_with_1009(
    make_client: MakeClient,
) -> None:
    client = await make_client(max_body_bytes=2048)
    socket = await connect(client)
    assert await socket.result("probe.echo", ["x" * 1000]) == "x" * 1000  # under the limit
    await socket.ws.send_str(
        orjson.dumps(
            {"jsonrpc": "2.0", "method": "probe.echo", "params": ["x" * 3000], "id": 1}
        ).decode()
    )
    assert await socket.close_code() == 1009
    assert await result(client, "calc.add", [1, 1]) == 2  # the server serves on


async def test_frames_count_toward_the_in_flight_cap(make_client: MakeClient, probe: Probe) -> None:
    client = await make_client(max_inflight=2)
    socket = await connect(client)
    held = [asyncio.create_task(socket.call("probe.slow", [30])) for _ in range(2)]
    await probe.until(lambda: probe.active == 2)
    shed = await socket.error("probe.count")
    assert shed == {
        "code": -32005,
        "message": "Server overloaded: too many requests in flight; retry after Retry-After",
        "data": {"limit": 2, "retry_after_s": 1},
    }
    batch = [
        {"jsonrpc": "2.0", "method": "probe.count", "id": "a"},
        {"jsonrpc": "2.0", "method": "probe.count"},
        {"jsonrpc": "2.0", "method": "probe.count", "id": "b"},
    ]
    answers = await socket.request(batch, ("a", "b"))  # each call its answer, by its id
    assert [(a["id"], a["error"]["code"]) for a in answers] == [("a", -32005), ("b", -32005)]
    status, body = await post(client, {"jsonrpc": "2.0", "method": "probe.count", "id": 1})
    assert (status, body["error"]["code"]) == (503, -32005)  # frames hold places HTTP needs
    assert probe.calls == 0
    for task in held:
        task.cancel()
    await socket.close()  # its calls in flight are cancelled with it
    await probe.until(lambda: probe.active == 0)
    assert await result(client, "probe.count") == 1


async def test_a_shed_frame_is_answered_at_once_while_other_calls_run_on(
    make_client: MakeClient, probe: Probe
) -> None:
    client = await make_client(max_inflight=1)
    socket = await connect(client)
    probe.gate_at = 2  # never reached alone: the gated call waits for the test to open it
    gated = asyncio.create_task(socket.call("probe.gated", [7]))
    async with asyncio.timeout(WAIT_S):
        while probe.active == 0:  # noqa: ASYNC110 (gated calls signal nothing)
            await asyncio.sleep(0)
    assert (await socket.error("probe.count"))["code"] == -32005
    probe.gate.set()
    assert (await asyncio.wait_for(gated, WAIT_S))["result"] == 7
    assert await socket.result("probe.count") == 2  # the gated call counted as the first
    await socket.close()


async def test_a_frame_none_of_whose_calls_fits_the_rate_limit_gets_32003_per_call(
    make_client: MakeClient, probe: Probe, clock: ManualClock
) -> None:
    client = await make_client(clock=clock, rate_limit=0.5, rate_burst=2)
    socket = await connect(client)
    assert await socket.result("probe.count") == 1
    assert await socket.result("probe.count") == 2
    refused = await socket.error("probe.count")
    assert refused["code"] == -32003
    assert refused["data"] == {"retry_after_s": 2.0, "limit": 0.5, "burst": 2}
    clock.advance(2.0)
    assert await socket.result("probe.count") == 3
    await socket.close()


async def test_text_and_binary_frames_both_carry_json_rpc(client: Client) -> None:
    ws = await client.ws_connect("/rpc")
    await ws.send_str('{"jsonrpc": "2.0", "method": "calc.multiply", "params": [6, 7], "id": 1}')
    answer = await ws.receive(WAIT_S)
    assert answer.type is WSMsgType.TEXT  # answers are text frames either way
    assert orjson.loads(answer.data)["result"] == 42
    await ws.send_bytes(b'{"jsonrpc": "2.0", "method": "calc.add", "params": [6, 7], "id": 2}')
    assert orjson.loads((await ws.receive(WAIT_S)).data)["result"] == 13
    await ws.close()


async def test_following_a_task_from_submit_to_its_result(client: Client) -> None:
    socket = await connect(client)
    subscribed = await socket.result("tasks.subscribe")
    assert subscribed["recovered"] is False
    submission = await socket.result("tasks.submit", {"type": "echo", "payload": 1})
    event = await socket.notification()
    assert event["subscription"] == subscribed["subscription"]
    assert event["result"]["task_id"] == submission["task_id"]
    assert event["result"]["state"] == "pending"
    assert event["offset"] == 1
    await socket.close()
