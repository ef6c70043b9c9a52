"""Rate limits per caller: every batch item is charged at its method's cost, the calls past
the allowance get -32003, and a request none of whose calls fits is refused whole with 429."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.clock import ManualClock
from tests.helpers.keys import bearer, new_key
from tests.helpers.probe import Probe
from tests.helpers.rpc import MakeClient, post


def batch(method: str, n: int, *, notify: bool = False) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = [{"jsonrpc": "2.0", "method": method} for _ in range(n)]
    if not notify:
        for index, call in enumerate(calls):
            call["id"] = index
    return calls


async def test_calls_past_the_burst_get_32003_and_do_not_run(
    make_client: MakeClient, probe: Probe, clock: ManualClock
) -> None:
    client = await make_client(clock=clock, rate_limit=10.0, rate_burst=3)
    status, body = await post(client, batch("probe.count", 5))
    assert status == 200
    assert [answer["id"] for answer in body] == [0, 1, 2, 3, 4]  # request order kept
    assert [answer.get("result") for answer in body[:3]] == [1, 2, 3]
    for answer in body[3:]:
        assert answer["error"] == {
            "code": -32003,
            "message": "Rate limited: too many calls; retry after data.retry_after_s seconds",
            "data": {"retry_after_s": 0.1, "limit": 10.0, "burst": 3},
        }
    assert probe.calls == 3


async def test_a_request_none_of_whose_calls_fits_is_429_with_retry_after(
    make_client: MakeClient, probe: Probe, clock: ManualClock
) -> None:
    client = await make_client(clock=clock, rate_limit=0.5, rate_burst=2)
    await post(client, batch("probe.count", 2))
    response = await client.post(
        "/rpc",
        json={"jsonrpc": "2.0", "method": "probe.count", "id": 7},
    )
    assert response.status == 429
    assert response.headers["Retry-After"] == "2"
    body = await response.json()
    assert body["id"] is None
    assert body["error"]["code"] == -32003
    assert body["error"]["data"] == {"retry_after_s": 2.0, "limit": 0.5, "burst": 2}
    # Notifications count too: a batch of them is refused whole as well.
    status, _ = await post(client, batch("probe.count", 3, notify=True))
    assert status == 429
    assert probe.calls == 2
    clock.advance(2.0)
    status, body = await post(client, {"jsonrpc": "2.0", "method": "probe.count", "id": 8})
    assert (status, body["result"]) == (200, 3)


async def test_a_method_declares_what_one_call_costs(
    make_client: MakeClient, probe: Probe, clock: ManualClock
) -> None:
    client = await make_client(clock=clock, rate_limit=1.0, rate_burst=12)
    _, body = await post(client, batch("probe.dear", 3))  # 5 units each
    assert ["result" in answer for answer in body] == [True, True, False]
    _, body = await post(client, batch("probe.count", 3))  # 1 unit each: 2 are left
    assert ["result" in answer for answer in body] == [True, True, False]


async def test_each_key_has_its_own_allowance_apart_from_keyless_callers(
    make_client: MakeClient, clock: ManualClock, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    first, second = (new_key(keys, name, "probe") for name in ("first", "second"))
    client = await make_client(
        clock=clock, keys_file=str(keys), anonymous_scopes=("probe",), rate_limit=1.0, rate_burst=2
    )
    for headers in (bearer(first), bearer(second), {}):
        status, body = await post(client, batch("probe.count", 2), **headers)
        assert status == 200
        assert all("result" in answer for answer in body)
        status, _ = await post(client, batch("probe.count", 1), **headers)
        assert status == 429


async def test_the_limit_can_be_switched_off(make_client: MakeClient, probe: Probe) -> None:
    client = await make_client(rate_limit=0.0, rate_burst=1)
    status, body = await post(client, batch("probe.count", 50))
    assert status == 200
    assert all("result" in answer for answer in body)


async def test_the_default_leaves_a_batch_of_100_alone(make_client: MakeClient) -> None:
    client = await make_client()
    for _ in range(3):
        status, body = await post(client, batch("calc.add", 100))
        assert status == 200
        assert all(answer["error"]["code"] == -32602 for answer in body)  # no params: bound


async def test_a_large_body_costs_a_unit_per_16_kib(
    make_client: MakeClient, clock: ManualClock
) -> None:
    client = await make_client(clock=clock, rate_limit=1.0, rate_burst=10)
    large = {"jsonrpc": "2.0", "method": "probe.echo", "params": ["x" * 82_000], "id": 1}
    assert (await post(client, large))[0] == 200  # 1 unit for the call, 5 for the body
    assert (await post(client, large))[0] == 429  # 6 more do not fit in the 4 left
    status, body = await post(client, {"jsonrpc": "2.0", "method": "probe.count", "id": 2})
    assert (status, body["result"]) == (200, 1)
