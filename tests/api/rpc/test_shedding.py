"""Overload: past RPC_MAX_INFLIGHT a request is shed at once with 503, and a call whose
client hung up is cancelled instead of run to its end."""

from __future__ import annotations

import asyncio
from pathlib import Path

from app.server.keys import ADMISSION
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


async def test_wrong_keys_waiting_out_their_delay_hold_no_in_flight_place(
    make_client: MakeClient, tmp_path: Path
) -> None:
    """Else wrong keys sent fast enough would get everyone else shed with 503."""
    client = await make_client(
        max_inflight=1, keys_file=str(tmp_path / "keys"), auth_failure_delay_s=30.0
    )
    admission = client.server.app[ADMISSION]
    wrong = {"Authorization": "Bearer rpch_wrong"}
    guessing = [
        asyncio.create_task(post(client, {"jsonrpc": "2.0", "method": "calc.add"}, **wrong))
        for _ in range(3)
    ]
    try:
        async with asyncio.timeout(10):
            while admission.delayed < 3:  # noqa: ASYNC110 (a counter, with no event to await)
                await asyncio.sleep(0.01)
        assert admission.inflight == 0
        assert await result(client, "calc.add", [2, 3]) == 5
    finally:
        for task in guessing:
            task.cancel()
