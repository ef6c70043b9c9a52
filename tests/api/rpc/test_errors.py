"""Errors: unexpected exceptions, unserializable results and time limits."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.helpers.rpc import Client, error, post


async def test_an_unexpected_exception_reveals_only_a_correlation_id(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="app.rpc"):
        response = await client.post(
            "/rpc",
            json={"jsonrpc": "2.0", "method": "probe.boom", "id": 1},
            headers={"X-Request-ID": "req-42"},
        )
        raw = await response.text()
    assert response.status == 200
    assert "hunter2" not in raw and "RuntimeError" not in raw and "Traceback" not in raw
    err = (await response.json())["error"]
    assert err["code"] == -32603
    assert err["message"] == "Internal error"
    assert set(err["data"]) == {"correlation_id"}
    [record] = caplog.records
    assert err["data"]["correlation_id"] in record.getMessage()
    assert "req-42" in record.getMessage()
    assert record.exc_info is not None and "hunter2" in str(record.exc_info[1])


@pytest.mark.parametrize("method", ["probe.unserializable", "probe.nan", "probe.odd_error"])
async def test_a_result_that_cannot_be_sent_exactly_is_an_internal_error(
    client: Client, method: str
) -> None:
    err = await error(client, method)
    assert err["code"] == -32603
    assert set(err["data"]) == {"correlation_id"}


async def test_an_answer_that_cannot_be_sent_fails_alone_in_its_batch(client: Client) -> None:
    _, body = await post(
        client,
        [
            {"jsonrpc": "2.0", "method": "probe.odd_error", "id": 1},
            {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": 2},
            {"jsonrpc": "2.0", "method": "probe.unserializable", "id": 3},
        ],
    )
    assert [item["id"] for item in body] == [1, 2, 3]
    assert [item.get("error", {}).get("code") for item in body] == [-32603, None, -32603]
    assert body[1]["result"] == 3


async def test_a_call_past_its_time_limit_is_cancelled(make_client: Any) -> None:
    client = await make_client(call_timeout_s=0.05)
    err = await error(client, "probe.hang")
    assert err == {"code": -32004, "message": "Call timed out", "data": {"timeout_s": 0.05}}
    _, body = await post(
        client, {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": 2}
    )
    assert body["result"] == 3


async def test_a_timed_out_item_does_not_fail_its_batch(make_client: Any) -> None:
    client = await make_client(call_timeout_s=0.05)
    _, body = await post(
        client,
        [
            {"jsonrpc": "2.0", "method": "probe.hang", "id": 1},
            {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": 2},
        ],
    )
    assert [r.get("result", r.get("error", {}).get("code")) for r in body] == [-32004, 3]


async def test_unknown_method_suggests_close_names(client: Client) -> None:
    err = await error(client, "calc.substract", [1, 2])
    assert err["code"] == -32601
    assert err["data"] == {"method": "calc.substract", "did_you_mean": ["calc.subtract"]}


async def test_reserved_rpc_names_are_not_methods(client: Client) -> None:
    assert (await error(client, "rpc.nope"))["code"] == -32601


async def test_deprecated_methods_are_logged(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="app.rpc"):
        _, body = await post(client, {"jsonrpc": "2.0", "method": "probe.old", "id": 1})
    assert body["result"] == "old"
    assert any("deprecated method probe.old" in r.getMessage() for r in caplog.records)


async def test_a_long_unknown_method_name_is_echoed_only_in_part(client: Client) -> None:
    err = await error(client, "x" * 5000)
    assert err["code"] == -32601
    assert err["data"] == {"method": "x" * 100 + "…", "truncated": True}
