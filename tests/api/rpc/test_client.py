"""The Python remote against a real server on a loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from app.client import Client, RemoteError, TransportError
from app.plugins import Plugin
from app.rpc.errors import InvalidParams, InvalidRequest, MethodNotFound, RPCError
from app.server import create_app
from app.server.builtin import BUILTIN
from app.settings import Settings
from handlers.calc import DivisionByZero
from tests.helpers.probe import Probe


@pytest.fixture
async def url(aiohttp_server: Any, probe: Probe) -> str:
    server = await aiohttp_server(create_app(Settings(), (BUILTIN, Plugin([probe.namespace]))))
    return f"http://127.0.0.1:{server.port}/rpc"


@pytest.fixture
async def remote(url: str) -> AsyncIterator[Client]:
    async with Client(url, errors=[DivisionByZero]) as remote:
        yield remote


async def test_calls_by_position_and_by_name(remote: Client) -> None:
    assert await remote.call("calc.add", 2, 3) == 5
    assert await remote.call("calc.subtract", minuend=42, subtrahend=23) == 19
    assert await remote.call("calc.get_data") == ["hello", 5]


async def test_params_are_positional_or_named_not_both(remote: Client) -> None:
    with pytest.raises(TypeError):
        await remote.call("calc.add", 1, b=2)


async def test_errors_are_typed_exceptions_with_code_and_data(remote: Client) -> None:
    with pytest.raises(MethodNotFound) as not_found:
        await remote.call("calc.nope")
    assert not_found.value.code == -32601
    with pytest.raises(InvalidParams) as invalid:
        await remote.call("calc.add", 1, "x")
    assert invalid.value.data[0]["path"] == "b"
    with pytest.raises(DivisionByZero) as domain:
        await remote.call("calc.divide", 1, 0)
    assert domain.value.data == {"dividend": 1}


async def test_unknown_domain_codes_become_remote_errors(url: str) -> None:
    async with Client(url) as remote:
        with pytest.raises(RemoteError) as error:
            await remote.call("calc.divide", 1, 0)
    assert (error.value.code, error.value.message) == (1001, "Division by zero")


async def test_notify_sends_and_returns_nothing(remote: Client, probe: Probe) -> None:
    assert await remote.notify("probe.count") is None
    assert probe.calls == 1


async def test_batch_resolves_each_future(remote: Client, probe: Probe) -> None:
    async with remote.batch() as batch:
        total = batch.call("calc.sum", 1, 2, 4)
        divided = batch.call("calc.divide", dividend=1, divisor=0)
        batch.notify("probe.count")
    assert total.result() == 7
    assert isinstance(divided.exception(), DivisionByZero)
    assert probe.calls == 1


async def test_a_refused_batch_raises(url: str) -> None:
    async with Client(url) as remote:
        with pytest.raises(InvalidRequest, match="Batch too large"):
            async with remote.batch() as batch:
                futures = [batch.call("calc.add", i, i) for i in range(101)]
    assert all(future.cancelled() for future in futures)


@pytest.fixture
async def flaky_url(aiohttp_server: Any, url: str) -> tuple[str, list[int]]:
    """A proxy to the real server that drops the connection on the first request."""
    attempts: list[int] = []

    async def flaky(request: web.Request) -> web.StreamResponse:
        attempts.append(1)
        if len(attempts) == 1:
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                url, data=await request.read(), headers={"Content-Type": "application/json"}
            ) as upstream,
        ):
            return web.Response(body=await upstream.read(), content_type="application/json")

    proxy = web.Application()
    proxy.router.add_post("/rpc", flaky)
    server = await aiohttp_server(proxy)
    return f"http://127.0.0.1:{server.port}/rpc", attempts


async def test_connection_errors_are_retried_only_when_safe(
    flaky_url: tuple[str, list[int]],
) -> None:
    url, attempts = flaky_url
    async with Client(url, backoff_s=0.001) as remote:
        with pytest.raises(aiohttp.ClientError):
            await remote.call("calc.add", 1, 2)  # not known to be idempotent: not repeated
        assert len(attempts) == 1
        assert await remote.call("calc.add", 1, 2) == 3


async def test_idempotent_calls_are_retried(flaky_url: tuple[str, list[int]]) -> None:
    url, attempts = flaky_url
    async with Client(url, backoff_s=0.001, idempotent={"calc.add"}) as remote:
        assert await remote.call("calc.add", 1, 2) == 3
    assert len(attempts) == 2


async def test_an_answer_that_is_not_json_rpc_is_a_transport_error(aiohttp_server: Any) -> None:
    async def gateway(request: web.Request) -> web.Response:
        return web.Response(status=502, text="<h1>Bad gateway</h1>", content_type="text/html")

    proxy = web.Application()
    proxy.router.add_post("/rpc", gateway)
    server = await aiohttp_server(proxy)
    async with Client(f"http://127.0.0.1:{server.port}/rpc") as remote:
        with pytest.raises(TransportError) as error:
            await remote.call("calc.add", 1, 2)
    assert error.value.status == 502
    assert "Bad gateway" in str(error.value)


async def test_discover_learns_idempotent_methods(remote: Client) -> None:
    document = await remote.discover()
    assert "calc.add" in remote.idempotent
    assert document["info"]["title"] == "rpc-hub"


async def test_retry_gives_up_after_its_budget(aiohttp_server: Any) -> None:
    attempts: list[int] = []

    async def drop(request: web.Request) -> web.Response:
        attempts.append(1)
        assert request.transport is not None
        request.transport.close()
        return web.Response()

    dropping = web.Application()
    dropping.router.add_post("/rpc", drop)
    server = await aiohttp_server(dropping)
    url = f"http://127.0.0.1:{server.port}/rpc"
    async with Client(url, retries=2, backoff_s=0.001) as remote:
        with pytest.raises(aiohttp.ClientConnectionError):
            await remote.call("calc.add", 1, 2, retry=True)
    assert len(attempts) == 3  # the call and its two retries
    async with Client("http://127.0.0.1:1/rpc", retries=2, backoff_s=0.001) as remote:
        with pytest.raises(aiohttp.ClientConnectionError):
            await remote.call("calc.add", 1, 2, retry=True)


async def test_send_returns_responses_without_raising(remote: Client) -> None:
    batch = [
        {"jsonrpc": "2.0", "method": "calc.add", "params": [2, 3], "id": "a"},
        {"jsonrpc": "2.0", "method": "calc.divide", "params": [1, 0], "id": "b"},
    ]
    assert await remote.send(batch) == [
        {"jsonrpc": "2.0", "result": 5, "id": "a"},
        {
            "jsonrpc": "2.0",
            "error": {"code": 1001, "message": "Division by zero", "data": {"dividend": 1}},
            "id": "b",
        },
    ]
    refused = await remote.send([])
    assert refused["id"] is None and refused["error"]["code"] == -32600
    assert await remote.send({"jsonrpc": "2.0", "method": "calc.update", "params": [1]}) is None


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), [1.0, {"x": -float("inf")}]])
async def test_non_finite_numbers_are_refused_not_sent_as_null(remote: Client, bad: Any) -> None:
    with pytest.raises(ValueError, match="no NaN or infinity"):
        await remote.call("probe.echo", bad)
    with pytest.raises(ValueError, match="no NaN or infinity"):
        await remote.notify("probe.echo", value=bad)


@pytest.mark.parametrize(("status", "code"), [(429, -32003), (503, -32005)])
async def test_a_request_refused_whole_is_sent_again_after_retry_after(
    aiohttp_server: Any, url: str, status: int, code: int
) -> None:
    """Nothing ran, so even a call not known to be idempotent is safe to send again."""
    refusals: list[int] = []

    async def busy(request: web.Request) -> web.Response:
        if len(refusals) < 2:
            refusals.append(1)
            body = {"jsonrpc": "2.0", "error": {"code": code, "message": "busy"}, "id": None}
            return web.json_response(body, status=status, headers={"Retry-After": "0"})
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=await request.read(), headers=request.headers) as upstream,
        ):
            return web.Response(body=await upstream.read(), content_type="application/json")

    proxy = web.Application()
    proxy.router.add_post("/rpc", busy)
    server = await aiohttp_server(proxy)
    async with Client(f"http://127.0.0.1:{server.port}/rpc") as remote:
        assert await remote.call("calc.add", 1, 2) == 3
    assert len(refusals) == 2
    refusals.clear()
    async with Client(f"http://127.0.0.1:{server.port}/rpc", retries=1) as remote:
        with pytest.raises(RPCError) as refused:
            await remote.call("calc.add", 1, 2)
    assert refused.value.code == code
