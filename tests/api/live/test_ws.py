"""JSON-RPC over the WebSocket on GET /rpc: the same engine, frame by frame."""

from __future__ import annotations

import orjson

from tests.helpers.rpc import Client
from tests.helpers.ws import connect


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
