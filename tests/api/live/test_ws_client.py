"""The Python client over a WebSocket against a real app: calls, typed errors, subscriptions,
and a connection cut under it (through a real TCP proxy) resumed where it was."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from app.client import Client, Subscription
from app.rpc.errors import InvalidParams, MethodNotFound, Unauthorized
from app.tasks.errors import TaskNotFound
from tests.helpers.keys import new_key
from tests.helpers.rpc import Client as TestClient
from tests.helpers.rpc import MakeClient
from tests.helpers.tcp_proxy import proxy

WAIT_S = 10.0
"""A bound on a hang, never a pass condition."""


def url(client: TestClient) -> str:
    return str(client.make_url("/rpc"))


async def next_result(subscription: Subscription) -> Any:
    async with asyncio.timeout(WAIT_S):
        return await anext(subscription)


async def test_calls_answer_results_and_raise_typed_errors(client: TestClient) -> None:
    async with Client.connect_ws(url(client), errors=[TaskNotFound]) as ws:
        assert await ws.call("calc.add", 2, 3) == 5
        assert await ws.call("calc.subtract", minuend=42, subtrahend=23) == 19
        results = await asyncio.gather(*(ws.call("calc.add", i, 1) for i in range(20)))
        assert results == [i + 1 for i in range(20)]
        with pytest.raises(MethodNotFound):
            await ws.call("calc.nope")
        with pytest.raises(InvalidParams) as invalid:
            await ws.call("calc.add", "x", 1)
        assert invalid.value.data
        with pytest.raises(TaskNotFound):
            await ws.call("tasks.get", task_id="t_0000000000000000")


async def test_the_key_goes_as_a_bearer_at_the_upgrade(
    make_client: MakeClient, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    key = new_key(keys, "calc", "calc")
    client = await make_client(keys_file=str(keys), anonymous_scopes=())
    async with Client.connect_ws(url(client), key=key) as ws:
        assert await ws.call("calc.add", 1, 1) == 2
    async with Client.connect_ws(url(client)) as anonymous:
        with pytest.raises(Unauthorized):
            await anonymous.call("calc.add", 1, 1)


async def test_a_subscription_yields_each_result_and_its_offset(client: TestClient) -> None:
    async with Client.connect_ws(url(client)) as ws:
        async with ws.subscribe("tasks.subscribe") as changes:
            assert changes.epoch is not None
            assert changes.offset == 0
            submitted = [await ws.call("tasks.submit", type="echo", payload=i) for i in range(3)]
            seen = [await next_result(changes) for _ in range(3)]
            assert [c["task_id"] for c in seen] == [s["task_id"] for s in submitted]
            assert changes.offset == 3
        one = submitted[0]["task_id"]
        async for change in ws.subscribe("tasks.subscribe", task_id=one):
            assert change == {**change, "task_id": one, "state": "pending"}  # as it is now
            break


async def test_subscribing_since_a_position_replays_what_came_after(client: TestClient) -> None:
    async with Client.connect_ws(url(client)) as ws:
        async with ws.subscribe("tasks.subscribe") as here:
            epoch, offset = here.epoch, here.offset
        submitted = [await ws.call("tasks.submit", type="echo", payload=i) for i in range(3)]
        since = {"epoch": epoch, "offset": offset}
        async with ws.subscribe("tasks.subscribe", since=since) as changes:
            assert (changes.recovered, changes.offset) == (True, offset)
            seen = [await next_result(changes) for _ in range(3)]
            assert [c["task_id"] for c in seen] == [s["task_id"] for s in submitted]
            assert changes.offset == offset + 3


async def test_a_cut_connection_resumes_with_what_it_missed(client: TestClient) -> None:
    assert client.server.port is not None
    async with (
        proxy("127.0.0.1", client.server.port) as network,
        Client.connect_ws(f"http://127.0.0.1:{network.port}/rpc") as ws,
        ws.subscribe("tasks.subscribe") as changes,
    ):
        first = await ws.call("tasks.submit", type="echo", payload=0)
        assert (await next_result(changes))["task_id"] == first["task_id"]
        network.cut()
        # Submitted by another client while this one is away: the topic keeps them.
        async with Client(url(client)) as other:
            missed = [await other.call("tasks.submit", type="echo", payload=i) for i in (1, 2)]
        network.mend()
        again = [await next_result(changes) for _ in range(2)]
        assert [c["task_id"] for c in again] == [m["task_id"] for m in missed]
        assert (changes.resumed, changes.recovered, changes.offset) == (1, True, 3)
        later = await ws.call("tasks.submit", type="echo", payload=3)
        assert (await next_result(changes))["task_id"] == later["task_id"]
        assert ws.reconnects == 1
