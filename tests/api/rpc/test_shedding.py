"""Overload: past RPC_MAX_INFLIGHT a request is shed at once with 503, and a call whose
client hung up is cancelled instead of run to its end."""

from __future__ import annotations

import asyncio

from tests.helpers.probe import Probe
from tests.helpers.rpc import MakeClient, post, result


async def test_past_the_in_flight_cap_a_request_gets_503_at_once(
    make_client: MakeClient, probe: Probe
) -> None:
    client = await make_client(max_inflight=2)
    held = [asyncio.create_task(result(client, "probe.slow", [30])) for _ in range(2)]
    await probe.until(lambda: probe.active == 2)
    try:
        status, body = await post(client, {"jsonrpc": "2.0", "method": "probe.count", "id": 1})
        response = await client.post("/rpc", json={"jsonrpc": "2.0", "method": "probe.count"})
        assert response.headers["Retry-After"] == "1"
    finally:
        for task in held:
            task.cancel()
    assert status == 503
    assert body["id"] is None
    assert body["error"]["code"] == -32005
    assert body["error"]["data"] == {"limit": 2, "retry_after_s": 1}
    assert probe.calls == 0  # shed before any work
    await probe.until(lambda: probe.active == 0)
    assert await result(client, "probe.count") == 1  # served again once below the cap


async def test_a_call_whose_client_hung_up_is_cancelled(
    make_client: MakeClient, probe: Probe
) -> None:
    client = await make_client()
    gone = asyncio.create_task(result(client, "probe.slow", [30]))
    assert await result(client, "probe.wait_active", [1]) == 1
    gone.cancel()  # closes that request's connection
    await probe.until(lambda: probe.cancelled == 1)
    assert probe.active == 0


async def test_a_batch_of_heavy_calls_lets_another_request_in_between_them(
    make_client: MakeClient, probe: Probe
) -> None:
    client = await make_client()
    heavy = [
        {"jsonrpc": "2.0", "method": "probe.spin", "params": [f"heavy-{n}", 5], "id": n}
        for n in range(20)
    ]
    light = {"jsonrpc": "2.0", "method": "probe.spin", "params": ["light", 0], "id": 1}
    batch = asyncio.create_task(post(client, heavy))
    await probe.until(lambda: probe.spun)  # the batch has begun
    await post(client, light)
    await batch
    assert "light" in probe.spun
    assert probe.spun.index("light") < len(heavy)  # answered before the batch was through
