"""Every example of section 7 of the JSON-RPC 2.0 specification, over HTTP.

calc.* stands in for the spec's methods (subtract, sum, update, notify_hello, get_data);
``foobar`` and ``foo.get`` stay unknown. The spec's error objects carry no ``data``; ours
may add it, so errors are compared on code, message and id.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.rpc import Client, post


def _same(actual: Any, expected: Any) -> bool:
    """Equal, except that error objects may carry extra ``data``."""
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_same(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if "error" in expected:
        error = {k: v for k, v in actual.get("error", {}).items() if k != "data"}
        return (
            actual.keys() == expected.keys()
            and error == expected["error"]
            and (actual["id"] == expected["id"])
        )
    return bool(actual == expected)


SPEC = [
    pytest.param(
        b'{"jsonrpc": "2.0", "method": "calc.subtract", "params": [42, 23], "id": 1}',
        {"jsonrpc": "2.0", "result": 19, "id": 1},
        id="positional",
    ),
    pytest.param(
        b'{"jsonrpc": "2.0", "method": "calc.subtract", "params": [23, 42], "id": 2}',
        {"jsonrpc": "2.0", "result": -19, "id": 2},
        id="positional-reversed",
    ),
    pytest.param(
        b'{"jsonrpc": "2.0", "method": "calc.subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}',
        {"jsonrpc": "2.0", "result": 19, "id": 3},
        id="named",
    ),
    pytest.param(
        b'{"jsonrpc": "2.0", "method": "calc.subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}',
        {"jsonrpc": "2.0", "result": 19, "id": 4},
        id="named-reordered",
    ),
    pytest.param(
        b'{"jsonrpc": "2.0", "method": "foobar", "id": "1"}',
        {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"},
        id="method-not-found",
    ),
    pytest.param(
        b'{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]',
        {"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": None},
        id="invalid-json",
    ),
    pytest.param(
        b'{"jsonrpc": "2.0", "method": 1, "params": "bar"}',
        {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": None},
        id="invalid-request",
    ),
    pytest.param(
        b'[\n  {"jsonrpc": "2.0", "method": "calc.sum", "params": [1,2,4], "id": "1"},\n'
        b'  {"jsonrpc": "2.0", "method"\n]',
        {"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": None},
        id="batch-invalid-json",
    ),
    pytest.param(
        b"[]",
        {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": None},
        id="empty-array",
    ),
    pytest.param(
        b"[1]",
        [{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": None}],
        id="batch-of-one-invalid",
    ),
    pytest.param(
        b"[1,2,3]",
        [{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": None}]
        * 3,
        id="batch-of-three-invalid",
    ),
    pytest.param(
        b"""[
        {"jsonrpc": "2.0", "method": "calc.sum", "params": [1,2,4], "id": "1"},
        {"jsonrpc": "2.0", "method": "calc.notify_hello", "params": [7]},
        {"jsonrpc": "2.0", "method": "calc.subtract", "params": [42,23], "id": "2"},
        {"foo": "boo"},
        {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
        {"jsonrpc": "2.0", "method": "calc.get_data", "id": "9"}
    ]""",
        [
            {"jsonrpc": "2.0", "result": 7, "id": "1"},
            {"jsonrpc": "2.0", "result": 19, "id": "2"},
            {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": None},
            {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},
            {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"},
        ],
        id="mixed-batch",
    ),
]


@pytest.mark.parametrize(("body", "expected"), SPEC)
async def test_spec_example(client: Client, body: bytes, expected: Any) -> None:
    status, response = await post(client, body)
    assert status == 200
    assert _same(response, expected), response


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            b'{"jsonrpc": "2.0", "method": "calc.update", "params": [1,2,3,4,5]}', id="update"
        ),
        pytest.param(b'{"jsonrpc": "2.0", "method": "foobar"}', id="unknown-method"),
        pytest.param(
            b"""[
            {"jsonrpc": "2.0", "method": "calc.notify_hello", "params": [1,2,4]},
            {"jsonrpc": "2.0", "method": "calc.notify_hello", "params": [7]}
        ]""",
            id="batch-of-notifications",
        ),
    ],
)
async def test_spec_notifications_get_no_response(client: Client, body: bytes) -> None:
    response = await client.post("/rpc", data=body, headers={"Content-Type": "application/json"})
    assert response.status == 204
    assert await response.read() == b""
