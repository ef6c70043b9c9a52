"""Talking to a test app as a client does: JSON-RPC requests over its /rpc route."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp.test_utils import TestClient

Client = TestClient[Any, Any]
MakeClient = Callable[..., Awaitable[Client]]
"""The ``make_client`` fixture: a fresh app from settings overrides, and a client for it."""


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


def quota_exceeded(resource: str, limit: int, held: int) -> dict[str, Any]:
    """The -32006 error object for a caller holding ``held`` of ``limit`` ``resource``."""
    return {
        "code": -32006,
        "message": "Quota exceeded",
        "data": {"resource": resource, "limit": limit, "held": held},
    }
