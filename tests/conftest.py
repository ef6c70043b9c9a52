from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient

from app.clock import Clock
from app.rpc.namespace import Namespace
from app.server import create_app
from app.settings import Settings
from handlers import NAMESPACES
from tests.support import Probe

Client = TestClient[Any, Any]
MakeClient = Callable[..., Awaitable[Client]]


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def probe() -> Probe:
    return Probe()


@pytest.fixture
def make_client(aiohttp_client: Any, probe: Probe) -> MakeClient:
    """Build a fresh app (with the probe namespace) from settings overrides, and a client.

    Pass ``clock=ManualClock()`` to move time in a test instead of waiting for it.
    """

    async def make(
        namespaces: Sequence[Namespace] | None = None,
        clock: Clock | None = None,
        **overrides: Any,
    ) -> Client:
        settings = dataclasses.replace(Settings(), **overrides)
        if namespaces is None:
            namespaces = (*NAMESPACES, probe.namespace)
        client: Client = await aiohttp_client(create_app(settings, namespaces, clock=clock))
        return client

    return make


@pytest.fixture
async def client(make_client: MakeClient) -> Client:
    return await make_client()


async def post(client: Client, payload: Any, **headers: str) -> tuple[int, Any]:
    """POST a JSON value (or raw bytes) to /rpc; return the status and the decoded body."""
    body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    response = await client.post(
        "/rpc", data=body, headers={"Content-Type": "application/json", **headers}
    )
    raw = await response.read()
    return response.status, (orjson.loads(raw) if raw else None)


async def call(client: Client, method: str, params: Any = None, id: Any = 1) -> Any:
    """One request; return its response object."""
    request: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": id}
    if params is not None:
        request["params"] = params
    status, body = await post(client, request)
    assert status == 200
    return body


async def result(client: Client, method: str, params: Any = None) -> Any:
    """Call and return the result, failing the test on a JSON-RPC error."""
    response = await call(client, method, params)
    assert "error" not in response, response
    return response["result"]


async def error(client: Client, method: str, params: Any = None) -> dict[str, Any]:
    """Call and return the error object, failing the test on success."""
    response = await call(client, method, params)
    assert "error" in response, response
    assert set(response) == {"jsonrpc", "error", "id"}
    error_object: dict[str, Any] = response["error"]
    return error_object
