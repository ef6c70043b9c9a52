"""-32700 has one `data` shape whatever went wrong, and integers beyond 64 bits are refused
where they sit (-32600 for an id, -32602 in params), never as a parse error of the body."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.rpc.types import INT_MAX, INT_MIN
from tests.helpers.rpc import Client, MakeClient, post
from tests.helpers.ws import connect

PARSE_DATA = {"problem", "line", "column", "position"}
BIG = b"18446744073709551616"  # 2^64: one past the largest integer read exactly
HUGE = b"9" * 400  # past the float range too: orjson reads it as infinity
ADD = {"jsonrpc": "2.0", "method": "calc.add", "params": [2, 3], "id": "ok"}


def where(data: dict[str, Any]) -> tuple[Any, Any, Any]:
    return data["line"], data["column"], data["position"]


async def parse_error(client: Client, body: bytes) -> dict[str, Any]:
    """POST ``body``; the -32700 answer's ``data``, checked for the one shape."""
    status, answer = await post(client, body)
    assert status == 200
    assert set(answer) == {"jsonrpc", "error", "id"} and answer["id"] is None
    error = answer["error"]
    assert (error["code"], error["message"]) == (-32700, "Parse error")
    data: dict[str, Any] = error["data"]
    assert set(data) == PARSE_DATA
    assert isinstance(data["problem"], str) and data["problem"]
    return data


@pytest.mark.parametrize(
    ("body", "place"),
    [
        pytest.param(b'{"jsonrpc": "2.0", "method": }', (1, 30, 29), id="syntax"),
        pytest.param(b'{"jsonrpc": "2.0",\n "method"', (2, 10, 28), id="cut-short"),
        pytest.param(b"", (1, 1, 0), id="empty"),
        pytest.param(b"  \n ", None, id="whitespace-only"),
        pytest.param(b'{"id": NaN}', (1, 8, 7), id="nan"),
        pytest.param(b'{"id": -Infinity}', None, id="infinity"),
        pytest.param(b'{"id": 1e400}', (1, 8, 7), id="float-overflow"),
        pytest.param(b'{"id": ' + HUGE + b".5}", (1, 8, 7), id="huge-float"),
        pytest.param(b"[1, 1e400, " + HUGE + b"]", (1, 5, 4), id="overflow-before-a-huge-int"),
        pytest.param(b"[" + HUGE + b", 1e400]", (1, 404, 403), id="overflow-after-a-huge-int"),
        pytest.param(b"[" + HUGE + b", x]", (1, 404, 403), id="syntax-after-a-huge-int"),
        pytest.param(b'\xef\xbb\xbf{"id": 1}', (1, 1, 0), id="byte-order-mark"),
        pytest.param(b'["a\x01"]', (1, 4, 3), id="control-character"),
        pytest.param(b'["\\ud800"]', None, id="lone-surrogate"),
        pytest.param(b'{"id": 1} {"id": 2}', (1, 11, 10), id="two-documents"),
        pytest.param(b"[1," * 700, None, id="many-open-arrays"),
        pytest.param(
            b'[\n {"jsonrpc": "2.0", "method": "calc.sum"},\n {"jsonrpc"\n]', None, id="batch"
        ),
    ],
)
async def test_every_parse_error_has_the_same_keys(
    client: Client, body: bytes, place: tuple[int, int, int] | None
) -> None:
    data = await parse_error(client, body)
    assert all(type(value) is int for value in where(data))
    assert data["line"] >= 1 and data["column"] >= 1 and 0 <= data["position"] <= len(body)
    if place is not None:
        assert where(data) == place


async def test_the_place_counts_characters_not_bytes(client: Client) -> None:
    wide = await parse_error(client, '{"a": "é€",\n "b": "😀", }'.encode())
    narrow = await parse_error(client, b'{"a": "ab",\n "b": "c", }')
    assert where(wide) == where(narrow)
    assert wide["line"] == 2


async def test_bytes_that_are_not_utf8_are_placed_at_the_first_bad_one(client: Client) -> None:
    data = await parse_error(client, '[\n "é",\n "'.encode() + b'\xff"]')
    assert where(data) == (3, 3, 10)  # after "[\n", ' "é",\n' and ' "': ten characters
    assert data["problem"] == "not valid UTF-8: invalid start byte"


async def test_a_truncated_deep_body_is_not_blamed_on_memory(client: Client) -> None:
    data = await parse_error(client, b"[" * 700)
    assert "memory" not in data["problem"]
    assert "left open" in data["problem"]


async def test_a_body_that_does_not_decode_has_the_same_keys_with_no_place(
    client: Client,
) -> None:
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    response = await client.post("/rpc", data=b"not gzip at all", headers=headers)
    assert response.status == 400
    data = (await response.json())["error"]["data"]
    assert set(data) == PARSE_DATA
    assert where(data) == (None, None, None)
    assert "gzip" in data["problem"]


async def test_frames_over_a_websocket_get_the_same_shape(client: Client) -> None:
    socket = await connect(client)
    for frame in (b'{"jsonrpc": ', b"\xff", b"", b'{"id": NaN}'):
        answer = await socket.request(frame, None)
        assert answer["error"]["code"] == -32700
        assert set(answer["error"]["data"]) == PARSE_DATA
    await socket.close()


def _not_json(body: bytes) -> bool:
    try:
        orjson.loads(body)
    except orjson.JSONDecodeError:
        return True
    return False


VALID = orjson.dumps([ADD, {"jsonrpc": "2.0", "method": "calc.sum", "params": [1, 2, 3]}])
_cuts = st.integers(0, len(VALID) - 1)
BODIES = st.one_of(
    st.binary(max_size=200),
    st.text(alphabet='{}[]",:0123456789.eE+- \ntruefalsn\\\x00é\U0001f600').map(str.encode),
    # A valid batch, cut short, or with one byte changed.
    _cuts.map(lambda cut: VALID[:cut]),
    st.tuples(_cuts, st.integers(0, 255)).map(
        lambda change: VALID[: change[0]] + bytes([change[1]]) + VALID[change[0] + 1 :]
    ),
).filter(_not_json)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=BODIES)
async def test_any_body_that_is_not_json_gets_the_one_shape_and_the_server_serves_on(
    client: Client, body: bytes
) -> None:
    status, answer = await post(client, body)
    assert status == 200
    error = answer["error"]
    if error["code"] == -32600:  # orjson's nesting limit, the one refusal that is no -32700
        assert error["data"] == {"limit": 32}
    else:
        assert error["code"] == -32700 and set(error["data"]) == PARSE_DATA
        data = error["data"]
        assert 0 <= data["position"] <= len(body)
        assert data["line"] >= 1 and data["column"] >= 1
    _, fine = await post(client, ADD)
    assert fine["result"] == 5


# ---- integers beyond 64 bits ---------------------------------------------------------------


@pytest.mark.parametrize("literal", [BIG, b"-9223372036854775809", HUGE, b"1" * 5000])
async def test_an_id_beyond_64_bits_is_an_invalid_request_answered_with_id_null(
    client: Client, literal: bytes
) -> None:
    body = b'{"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": ' + literal + b"}"
    status, answer = await post(client, body)
    assert status == 200
    assert answer["id"] is None
    assert answer["error"]["code"] == -32600
    assert answer["error"]["message"] == "Invalid Request"
    assert set(answer["error"]["data"]) == {"problem"}
    assert answer["error"]["data"]["problem"].startswith('"id" is an integer outside the 64-bit')


INTEGERS = st.one_of(
    st.integers(),
    st.integers(INT_MIN - 3, INT_MIN + 3),
    st.integers(INT_MAX - 3, INT_MAX + 3),
    st.integers(2**60, 2**70).map(lambda n: -n),
    st.integers(10**300, 10**320),
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(number=INTEGERS)
async def test_any_integer_is_read_exactly_or_refused_where_it_sits(
    client: Client, number: int
) -> None:
    literal = str(number).encode()
    body = b'[{"jsonrpc": "2.0", "method": "probe.echo", "params": [' + literal + b'], "id": 1},'
    body += b' {"jsonrpc": "2.0", "method": "probe.echo", "params": [0], "id": ' + literal + b"}]"
    _, (in_params, as_id) = await post(client, body)
    if INT_MIN <= number <= INT_MAX:
        assert in_params == {"jsonrpc": "2.0", "result": number, "id": 1}
        assert as_id == {"jsonrpc": "2.0", "result": 0, "id": number}
    else:
        assert in_params["id"] == 1 and in_params["error"]["code"] == -32602
        value = in_params["error"]["data"][0]["value"]
        assert value == str(number) or (str(number)[:150] in value and "truncated" in value)
        assert as_id["id"] is None and as_id["error"]["code"] == -32600


@pytest.mark.parametrize("literal", [b"18446744073709551615", b"-9223372036854775808"])
async def test_ids_at_the_64_bit_edges_are_echoed_exactly(client: Client, literal: bytes) -> None:
    body = b'{"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": ' + literal + b"}"
    _, answer = await post(client, body)
    assert answer == {"jsonrpc": "2.0", "result": 3, "id": int(literal)}


async def test_in_a_batch_only_the_item_with_a_big_id_is_refused(client: Client) -> None:
    body = (
        b'[{"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": 1},'
        b' {"jsonrpc": "2.0", "method": "calc.add", "params": [3, 4], "id": ' + HUGE + b"},"
        b' {"jsonrpc": "2.0", "method": "calc.add", "params": [5, 6], "id": "s"},'
        b' {"jsonrpc": "2.0", "method": "calc.add", "params": [7, ' + BIG + b'], "id": 4}]'
    )
    _, answers = await post(client, body)
    assert [answer["id"] for answer in answers] == [1, None, "s", 4]
    assert answers[0]["result"] == 3 and answers[2]["result"] == 11
    assert answers[1]["error"]["code"] == -32600
    assert answers[3]["error"]["code"] == -32602
    assert answers[3]["error"]["data"][0]["path"] == "b"


@pytest.mark.parametrize(
    ("params", "path"),
    [
        (b"[1, " + BIG + b"]", "b"),
        (b'{"a": ' + BIG + b', "b": 1}', "a"),
        (b"[-" + HUGE + b", 1]", "a"),
    ],
)
async def test_a_big_integer_in_params_is_invalid_params_naming_the_field(
    client: Client, params: bytes, path: str
) -> None:
    body = b'{"jsonrpc": "2.0", "method": "calc.add", "params": ' + params + b', "id": 7}'
    _, answer = await post(client, body)
    assert answer["id"] == 7
    assert answer["error"]["code"] == -32602
    [problem] = answer["error"]["data"]
    assert set(problem) == {"path", "problem", "type", "value"}
    assert (problem["path"], problem["type"]) == (path, "int_out_of_range")
    assert "64-bit" in problem["problem"] and "as a string" in problem["problem"]


async def test_nested_big_integers_are_each_named_by_their_path(client: Client) -> None:
    body = (
        b'{"jsonrpc": "2.0", "method": "probe.echo", "id": 1, "params":'
        b' {"value": {"list": [1, ' + BIG + b', {"deep": -' + BIG + b'}], "fine": 2}}}'
    )
    _, answer = await post(client, body)
    problems = answer["error"]["data"]
    assert [(p["path"], p["value"]) for p in problems] == [
        ("value.list.1", BIG.decode()),
        ("value.list.2.deep", "-" + BIG.decode()),
    ]


async def test_a_sensitive_method_does_not_echo_the_big_integer(client: Client) -> None:
    body = (
        b'{"jsonrpc": "2.0", "method": "cart.checkout", "id": 1, "params":'
        b' {"cart_id": "c", "payment": {"card_number": ' + BIG + b"}}}"
    )
    _, answer = await post(client, body)
    [problem] = answer["error"]["data"]
    assert (problem["path"], problem["value"]) == ("payment.card_number", "[redacted]")
    assert BIG.decode() not in orjson.dumps(answer).decode()


async def test_big_integers_outside_params_and_id_change_nothing(client: Client) -> None:
    body = b'{"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": 1, "x": ' + BIG + b"}"
    _, answer = await post(client, body)
    assert answer == {"jsonrpc": "2.0", "result": 3, "id": 1}


async def test_digits_in_strings_are_not_big_integers(client: Client) -> None:
    body = b'{"jsonrpc": "2.0", "method": "probe.echo", "params": ["' + HUGE + b'"], "id": 1}'
    _, answer = await post(client, body)
    assert answer["result"] == HUGE.decode()


async def test_a_notification_with_a_big_integer_gets_no_answer(client: Client) -> None:
    body = b'{"jsonrpc": "2.0", "method": "calc.update", "params": [' + BIG + b"]}"
    response = await client.post("/rpc", data=body, headers={"Content-Type": "application/json"})
    assert response.status == 204


async def test_the_same_over_a_websocket(make_client: MakeClient) -> None:
    socket = await connect(await make_client())
    body = b'{"jsonrpc": "2.0", "method": "calc.add", "params": [1, ' + BIG + b'], "id": "w"}'
    answer = await socket.request(body, "w")
    assert answer["error"]["code"] == -32602
    await socket.close()
