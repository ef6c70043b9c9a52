"""Request objects and batches: ids, members, notifications and batch rules."""

from __future__ import annotations

from typing import Any

import pytest
from jsonrpcclient import Error, Ok, parse, request

from tests.helpers.probe import Probe
from tests.helpers.rpc import Client, post


@pytest.mark.parametrize("id_", ["abc", "", 0, -7, 2**63, 1.5, None, "ü-ñ-😀"])
async def test_id_is_echoed_exactly(client: Client, id_: Any) -> None:
    status, body = await post(
        client, {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": id_}
    )
    assert status == 200
    assert body == {"jsonrpc": "2.0", "result": 3, "id": id_}
    assert type(body["id"]) is type(id_)


async def test_null_id_is_a_request_not_a_notification(client: Client) -> None:
    status, body = await post(
        client, b'{"jsonrpc":"2.0","method":"calc.add","params":[1,2],"id":null}'
    )
    assert (status, body) == (200, {"jsonrpc": "2.0", "result": 3, "id": None})


@pytest.mark.parametrize("id_", [{"a": 1}, [1], True, False])
async def test_structured_or_boolean_id_is_invalid(client: Client, id_: Any) -> None:
    _, body = await post(
        client, {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": id_}
    )
    assert body["error"]["code"] == -32600
    assert body["id"] is None
    assert "id" in body["error"]["data"]["problem"]


@pytest.mark.parametrize(
    ("request_object", "problem"),
    [
        ({"method": "calc.add", "params": [1, 2], "id": 1}, "jsonrpc"),
        ({"jsonrpc": "1.0", "method": "calc.add", "params": [1, 2], "id": 1}, "jsonrpc"),
        ({"jsonrpc": 2.0, "method": "calc.add", "params": [1, 2], "id": 1}, "jsonrpc"),
        ({"jsonrpc": "2.0", "params": [1, 2], "id": 1}, "method"),
        ({"jsonrpc": "2.0", "method": None, "id": 1}, "method"),
        ({"jsonrpc": "2.0", "method": ["calc.add"], "id": 1}, "method"),
        ({"jsonrpc": "2.0", "method": "calc.add", "params": "1,2", "id": 1}, "params"),
        ({"jsonrpc": "2.0", "method": "calc.add", "params": 3, "id": 1}, "params"),
        ({"jsonrpc": "2.0", "method": "calc.add", "params": None, "id": 1}, "params"),
    ],
)
async def test_invalid_request_objects(
    client: Client, request_object: dict[str, Any], problem: str
) -> None:
    _, body = await post(client, request_object)
    assert body["error"]["code"] == -32600
    assert body["error"]["message"] == "Invalid Request"
    assert problem in body["error"]["data"]["problem"]
    assert body["id"] == 1, "a well-formed id is still echoed"


@pytest.mark.parametrize("value", ["a string", 42, None, True, 1.5])
async def test_a_bare_json_value_is_an_invalid_request(client: Client, value: Any) -> None:
    _, body = await post(client, value)
    assert body["error"]["code"] == -32600
    assert body["id"] is None


async def test_an_invalid_request_without_id_is_still_answered(client: Client) -> None:
    _, body = await post(client, {"jsonrpc": "2.0", "method": 1})
    assert body["error"]["code"] == -32600


@pytest.mark.parametrize(
    "notification",
    [
        {"jsonrpc": "2.0", "method": "no.such_method"},
        {"jsonrpc": "2.0", "method": "calc.add", "params": [1]},
        {"jsonrpc": "2.0", "method": "calc.divide", "params": [1, 0]},
        {"jsonrpc": "2.0", "method": "probe.boom"},
        {"jsonrpc": "2.0", "method": "probe.unserializable"},
    ],
)
async def test_a_notification_never_gets_a_response_even_for_an_error(
    client: Client, notification: dict[str, Any]
) -> None:
    response = await client.post("/rpc", json=notification)
    assert response.status == 204
    assert await response.read() == b""


async def test_a_notification_runs(client: Client, probe: Probe) -> None:
    response = await client.post("/rpc", json={"jsonrpc": "2.0", "method": "probe.count"})
    assert response.status == 204
    assert probe.calls == 1


async def test_extra_members_are_ignored(client: Client) -> None:
    _, body = await post(
        client, {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": 1, "x": 0}
    )
    assert body["result"] == 3


async def test_jsonrpcclient_round_trip(client: Client) -> None:
    _, body = await post(client, request("calc.subtract", params={"minuend": 42, "subtrahend": 23}))
    assert isinstance(parse(body), Ok)
    _, body = await post(client, request("calc.divide", params=(1, 0)))
    parsed = parse(body)
    assert isinstance(parsed, Error)
    assert parsed.code == 1001


class TestBatches:
    async def test_responses_keep_request_order(self, client: Client) -> None:
        batch = [
            {"jsonrpc": "2.0", "method": "calc.add", "params": [i, i], "id": i} for i in range(50)
        ]
        _, body = await post(client, batch)
        assert [r["id"] for r in body] == list(range(50))
        assert [r["result"] for r in body] == [2 * i for i in range(50)]

    async def test_each_entry_is_validated_on_its_own(self, client: Client) -> None:
        batch = [
            {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": "ok"},
            {"jsonrpc": "2.0", "method": "calc.add", "params": [1, "x"], "id": "bad-params"},
            {"jsonrpc": "2.0", "method": "nope", "id": "unknown"},
            "not an object",
            {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2]},
            {"jsonrpc": "2.0", "method": "calc.divide", "params": [1, 0], "id": "domain"},
        ]
        _, body = await post(client, batch)
        outcomes = [(r["id"], r.get("result", r.get("error", {}).get("code"))) for r in body]
        assert outcomes == [
            ("ok", 3),
            ("bad-params", -32602),
            ("unknown", -32601),
            (None, -32600),
            ("domain", 1001),
        ]

    async def test_batch_of_only_notifications_gets_204(self, client: Client, probe: Probe) -> None:
        batch = [{"jsonrpc": "2.0", "method": "probe.count"}] * 3
        response = await client.post("/rpc", json=batch)
        assert response.status == 204
        assert probe.calls == 3

    async def test_too_large_batch_is_refused_before_anything_runs(
        self, make_client: Any, probe: Probe
    ) -> None:
        client = await make_client(max_batch=5)
        batch = [{"jsonrpc": "2.0", "method": "probe.count", "id": i} for i in range(6)]
        _, body = await post(client, batch)
        assert body == {
            "jsonrpc": "2.0",
            "error": {
                "code": -32600,
                "message": "Batch too large",
                "data": {"limit": 5, "received": 6},
            },
            "id": None,
        }
        assert probe.calls == 0
        _, body = await post(client, batch[:5])
        assert len(body) == 5

    async def test_items_run_concurrently_within_the_bound(
        self, make_client: Any, probe: Probe
    ) -> None:
        client = await make_client(batch_concurrency=4)
        probe.gate_at = 4  # each item waits until four are in flight together
        batch = [
            {"jsonrpc": "2.0", "method": "probe.gated", "params": [i], "id": i} for i in range(10)
        ]
        _, body = await post(client, batch)
        assert [r["result"] for r in body] == list(range(10))
        assert probe.max_active == 4

    async def test_the_bound_holds_when_items_start_suspending_mid_batch(
        self, make_client: Any, probe: Probe
    ) -> None:
        client = await make_client(batch_concurrency=3)
        probe.gate_at = 3
        batch = [
            {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 1], "id": "sync"},
            *(
                {"jsonrpc": "2.0", "method": "probe.gated", "params": [i], "id": i}
                for i in range(8)
            ),
        ]
        _, body = await post(client, batch)
        assert [r["result"] for r in body] == [2, *range(8)]
        assert probe.max_active == 3

    async def test_items_with_their_own_time_limits_do_not_disturb_the_batch(
        self, client: Client
    ) -> None:
        # asyncio.timeout belongs to the task that enters it: each item needs its own task.
        batch = [
            {"jsonrpc": "2.0", "method": "probe.patient", "params": [0.01], "id": 1},
            {"jsonrpc": "2.0", "method": "probe.patient", "params": [0.02], "id": 2},
            {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": 3},
        ]
        status, body = await post(client, batch)
        assert status == 200
        assert [r["result"] for r in body] == ["gave up", "gave up", 3]

    async def test_a_slow_item_does_not_reorder_responses(
        self, make_client: Any, probe: Probe
    ) -> None:
        client = await make_client()
        batch = [
            {"jsonrpc": "2.0", "method": "probe.slow", "params": [0.05], "id": "slow"},
            {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 1], "id": "fast"},
        ]
        _, body = await post(client, batch)
        assert [r["id"] for r in body] == ["slow", "fast"]
