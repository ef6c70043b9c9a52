"""Clients found in the wild, driven by their own code against the real server process:
jsonrpclib-pelix, which takes only HTTP 200 (hence ``RPC_NOTIFICATION_STATUS=200``), and
tinyrpc's stock HTTP transport, which sends its bodies with no Content-Type at all."""

from __future__ import annotations

import asyncio
import http.client
from typing import Any

import jsonrpclib
import pytest
import requests
from jsonrpclib.jsonrpc import AppError, ProtocolError, TransportError
from tinyrpc.client import RPCClient
from tinyrpc.protocols.jsonrpc import (
    JSONRPCError,
    JSONRPCErrorResponse,
    JSONRPCProtocol,
    JSONRPCSuccessResponse,
)
from tinyrpc.transports.http import HttpPostClientTransport

from tests.helpers.server_process import ServerProcess, server_process

UPDATES = "method=calc.update"
"""What the call log writes for each calc.update the server ran, notifications included."""


# ---- jsonrpclib-pelix ----------------------------------------------------------------------


def drive_pelix(url: str) -> None:
    """Calls, an error, a MultiCall batch and notifications, through one proxy."""
    proxy: Any = jsonrpclib.ServerProxy(url)
    try:
        use_pelix(proxy)
    finally:
        proxy("close")()


def use_pelix(proxy: Any) -> None:
    assert proxy.calc.add(2, 3) == 5
    assert proxy.calc.subtract(minuend=42, subtrahend=23) == 19
    with pytest.raises(AppError) as domain:
        proxy.calc.divide(1, 0)
    assert domain.value.args[0] == (1001, "Division by zero", {"dividend": 1})
    with pytest.raises(ProtocolError) as standard:
        proxy.calc.nope()
    assert standard.value.args[0] == (-32601, "Method not found")

    batch = jsonrpclib.MultiCall(proxy)
    batch.calc.add(1, 2)
    batch._notify.calc.update(1)
    batch.calc.divide(7, 0)
    answers = batch()
    assert len(answers) == 2  # the notification in it gets no answer
    assert answers[0] == 3
    with pytest.raises(AppError):
        answers[1]

    assert proxy._notify.calc.update(1, 2) is None  # 200, empty body
    assert proxy.calc.multiply(3, 4) == 12  # and the proxy still works
    batch._notify.calc.update(3)
    batch._notify.calc.update(4)
    assert len(batch()) == 0  # a batch of notifications only: 200, empty body too
    assert proxy.calc.add(1, 1) == 2


async def test_jsonrpclib_pelix_works_with_notification_status_200() -> None:
    async with server_process(env={"RPC_NOTIFICATION_STATUS": "200"}) as server:
        await asyncio.to_thread(drive_pelix, f"{server.url}/rpc")
        await server.logged(UPDATES, times=4)  # the notifications did run


def break_pelix(url: str) -> None:
    proxy: Any = jsonrpclib.ServerProxy(url)
    try:
        assert proxy.calc.add(2, 3) == 5
        with pytest.raises(TransportError) as refused:
            proxy._notify.calc.update(1, 2)
        assert refused.value.errcode == 204
        # The 204 was never read off the connection, so the next call cannot get its answer.
        with pytest.raises(http.client.ResponseNotReady):
            proxy.calc.add(1, 1)
    finally:
        proxy("close")()


async def test_with_the_default_204_jsonrpclib_pelix_breaks() -> None:
    """What ``RPC_NOTIFICATION_STATUS=200`` is for."""
    async with server_process() as server:
        await asyncio.to_thread(break_pelix, f"{server.url}/rpc")


# ---- tinyrpc -------------------------------------------------------------------------------


def drive_tinyrpc(url: str) -> list[requests.Response]:
    """Calls, errors, a batch and a one-way call; every HTTP response it got."""
    seen: list[requests.Response] = []

    def keep(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        seen.append(response)

    # The stock transport; requests' own response hook only watches what goes by.
    client = RPCClient(JSONRPCProtocol(), HttpPostClientTransport(url, hooks={"response": keep}))
    assert client.call("calc.add", [2, 3], {}) == 5
    calc: Any = client.get_proxy(prefix="calc.")
    assert calc.subtract(minuend=42, subtrahend=23) == 19
    with pytest.raises(JSONRPCError) as domain:
        calc.divide(1, 0)
    assert (domain.value.message, domain.value.data) == ("Division by zero", {"dividend": 1})
    with pytest.raises(JSONRPCError) as standard:
        client.call("calc.nope", [], {})
    assert standard.value.message == "Method not found"

    answers = client.batch_call(
        [
            ("calc.add", [1, 2], {}, False),
            ("calc.update", [1], {}, True),
            ("calc.divide", [7, 0], {}, False),
        ]
    )
    assert len(answers) == 2
    assert isinstance(answers[0], JSONRPCSuccessResponse) and answers[0].result == 3
    assert isinstance(answers[1], JSONRPCErrorResponse)
    assert answers[1].error == "Division by zero"

    assert client.call("calc.update", [1, 2], {}, one_way=True) is None
    assert calc.multiply(3, 4) == 12
    return seen


async def test_tinyrpc_stock_http_client_sends_no_content_type_and_is_served() -> None:
    async with server_process() as server:
        seen = await asyncio.to_thread(drive_tinyrpc, f"{server.url}/rpc")
        await server.logged(UPDATES, times=2)
    assert len(seen) == 7
    assert all("Content-Type" not in response.request.headers for response in seen)
    # Every POST was read as JSON: answered, or 204 for the one-way call (tinyrpc never
    # looks at that one, so a refusal would have gone unnoticed but for this).
    assert [response.status_code for response in seen] == [200] * 5 + [204, 200]


async def test_tinyrpc_from_a_foreign_origin_is_still_refused() -> None:
    async with server_process() as server:
        await asyncio.to_thread(refuse_tinyrpc, server)


def refuse_tinyrpc(server: ServerProcess) -> None:
    headers = {"Origin": "https://evil.example"}
    transport = HttpPostClientTransport(f"{server.url}/rpc", headers=headers)
    reply = transport.send_message(b'{"jsonrpc":"2.0","method":"calc.add","params":[1,2],"id":1}')
    assert b'"origin":"https://evil.example"' in reply
    response = requests.post(f"{server.url}/rpc", data=b"{}", headers=headers, timeout=10)
    assert response.status_code == 403
