"""Limits on size, nesting and number range, and how each refusal is reported."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.rpc import Client, post


async def test_body_over_the_limit_is_413_with_a_json_rpc_error(make_client: Any) -> None:
    client = await make_client(max_body_bytes=2048)
    big = {"jsonrpc": "2.0", "method": "probe.echo", "params": ["x" * 4096], "id": 1}
    status, body = await post(client, big)
    assert status == 413
    assert body["error"]["code"] == -32600
    assert "2048 bytes" in body["error"]["message"]
    assert body["error"]["data"] == {"limit": 2048}
    assert body["id"] is None


async def test_nesting_deeper_than_the_limit_is_refused(make_client: Any) -> None:
    client = await make_client(max_depth=8)
    nested: Any = 1
    for _ in range(6):  # object, params array, then six more arrays: depth 8
        nested = [nested]
    _, ok = await post(
        client, {"jsonrpc": "2.0", "method": "probe.echo", "params": [nested], "id": 1}
    )
    assert ok["result"] == nested
    _, refused = await post(
        client, {"jsonrpc": "2.0", "method": "probe.echo", "params": [[nested]], "id": 1}
    )
    assert refused["error"] == {
        "code": -32600,
        "message": "JSON nested too deeply",
        "data": {"limit": 8},
    }


async def test_nesting_beyond_the_parser_limit_is_refused_the_same_way(client: Client) -> None:
    _, body = await post(client, b"[" * 5000 + b"]" * 5000)
    assert body["error"]["code"] == -32600
    assert body["error"]["data"] == {"limit": 32}


async def test_brackets_inside_strings_do_not_count_as_nesting(make_client: Any) -> None:
    client = await make_client(max_depth=4)
    _, body = await post(
        client, {"jsonrpc": "2.0", "method": "probe.echo", "params": ["[[[[[[{{{{"], "id": 1}
    )
    assert body["result"] == "[[[[[[{{{{"


@pytest.mark.parametrize(
    "literal", [b"18446744073709551616", b"-9223372036854775809", b"123456789012345678901234567890"]
)
async def test_integers_beyond_64_bits_are_refused_not_rounded(
    client: Client, literal: bytes
) -> None:
    body = b'{"jsonrpc":"2.0","method":"probe.echo","params":[' + literal + b'],"id":1}'
    _, response = await post(client, body)
    assert response["id"] == 1
    assert response["error"]["code"] == -32602
    [problem] = response["error"]["data"]
    assert (problem["path"], problem["type"], problem["value"]) == (
        "value",
        "int_out_of_range",
        literal.decode(),
    )
    assert "64-bit" in problem["problem"]


@pytest.mark.parametrize("literal", [b"18446744073709551615", b"-9223372036854775808"])
async def test_integers_at_the_64_bit_edges_are_exact(client: Client, literal: bytes) -> None:
    body = b'{"jsonrpc":"2.0","method":"probe.echo","params":[' + literal + b'],"id":1}'
    _, response = await post(client, body)
    assert response["result"] == int(literal)


async def test_long_digit_runs_inside_strings_and_floats_are_fine(client: Client) -> None:
    body = b'{"jsonrpc":"2.0","method":"probe.echo","params":[["12345678901234567890123", 1.2345678901234567890e5]],"id":1}'
    _, response = await post(client, body)
    assert response["result"] == ["12345678901234567890123", 123456.78901234567]


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e999"])
async def test_non_finite_numbers_are_refused(client: Client, literal: bytes) -> None:
    body = b'{"jsonrpc":"2.0","method":"probe.echo","params":[' + literal + b'],"id":1}'
    _, response = await post(client, body)
    assert response["error"]["code"] == -32700
    assert response["id"] is None


async def test_parse_errors_say_where(client: Client) -> None:
    _, response = await post(client, b'{"jsonrpc": "2.0", "method": }')
    data = response["error"]["data"]
    assert data["line"] == 1 and data["column"] > 1 and data["problem"]


async def test_invalid_utf8_is_a_parse_error(client: Client) -> None:
    _, response = await post(
        client, b'{"jsonrpc":"2.0","method":"probe.echo","params":["\xff"],"id":1}'
    )
    assert response["error"]["code"] == -32700


def _nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


async def test_a_too_deep_item_fails_alone_in_its_batch(make_client: Any) -> None:
    client = await make_client(max_depth=8)
    _, body = await post(
        client,
        [
            {"jsonrpc": "2.0", "method": "probe.echo", "params": [_nested(10)], "id": "deep"},
            {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": "fine"},
        ],
    )
    assert body[0] == {
        "jsonrpc": "2.0",
        "error": {"code": -32600, "message": "JSON nested too deeply", "data": {"limit": 8}},
        "id": "deep",
    }
    assert body[1]["result"] == 3


async def test_deep_params_for_scalar_params_are_invalid_params_not_a_crash(client: Client) -> None:
    # calc.add's params cannot nest, so no depth walk is needed: validation refuses at once,
    # even past the depth orjson can write back (the bad value is then not echoed).
    deep = b"[" * 600 + b"1" + b"]" * 600
    _, body = await post(
        client, b'{"jsonrpc":"2.0","method":"calc.add","params":[' + deep + b',1],"id":1}'
    )
    assert body["error"]["code"] == -32602
    assert body["error"]["data"][0]["path"] == "a"
    assert body["error"]["data"][0]["value"] == "(nested too deeply to echo)"


async def test_deep_values_outside_params_are_never_traversed(client: Client) -> None:
    deep = b"[" * 900 + b"]" * 900
    _, body = await post(
        client, b'{"jsonrpc":"2.0","method":"calc.add","params":[1,2],"id":' + deep + b"}"
    )
    assert body["error"]["code"] == -32600
    assert body["id"] is None
    _, body = await post(
        client, b'{"jsonrpc":"2.0","method":"calc.add","params":[1,2],"id":7,"x":' + deep + b"}"
    )
    assert body == {"jsonrpc": "2.0", "result": 3, "id": 7}
