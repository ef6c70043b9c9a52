"""Property: any bytes or JSON value posted to /rpc gets a well-formed answer, as specified,
and the server keeps serving. The expected shape is worked out independently of the engine.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.rpc.types import INT_MAX, INT_MIN
from handlers import NAMESPACES
from tests.conftest import Client, MakeClient

METHODS = [
    "calc.add",
    "calc.subtract",
    "calc.multiply",
    "calc.divide",
    "calc.sum",
    "calc.get_data",
    "calc.notify_hello",
    "calc.update",
    "rpc.discover",
]
STANDARD_CODES = {-32700, -32600, -32601, -32602, -32004}
DOMAIN_CODES = {1001, 1002}

scalars = (
    st.none()
    | st.booleans()
    | st.integers(INT_MIN, INT_MAX)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)
requests = st.fixed_dictionaries(
    {},
    optional={
        "jsonrpc": st.just("2.0") | values,
        "method": st.sampled_from(METHODS) | st.text(max_size=12) | values,
        "params": st.lists(scalars, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["a", "b", "minuend", "subtrahend", "dividend", "divisor", "numbers", "n", "x"]
            ),
            scalars | st.lists(scalars, max_size=3),
            max_size=3,
        )
        | values,
        "id": scalars | values,
    },
)
documents = requests | values | st.lists(requests | values, min_size=0, max_size=8)


def _valid_id(request: dict[str, Any]) -> bool:
    return request["id"] is None or type(request["id"]) in (str, int, float)


def _is_notification(entry: Any) -> bool:
    return (
        type(entry) is dict
        and "id" not in entry
        and entry.get("jsonrpc") == "2.0"
        and type(entry.get("method")) is str
        and ("params" not in entry or type(entry["params"]) in (list, dict))
    )


def _expected_id(entry: Any) -> Any:
    if type(entry) is dict and "id" in entry and _valid_id(entry):
        return entry["id"]
    return None


def _check_response(response: Any, expected_id: Any) -> None:
    assert type(response) is dict
    assert response.get("jsonrpc") == "2.0"
    assert response["id"] == expected_id and type(response["id"]) is type(expected_id)
    if "result" in response:
        assert set(response) == {"jsonrpc", "result", "id"}
    else:
        assert set(response) == {"jsonrpc", "error", "id"}
        error = response["error"]
        assert set(error) <= {"code", "message", "data"}
        assert type(error["code"]) is int and type(error["message"]) is str
        assert error["code"] in STANDARD_CODES | DOMAIN_CODES, error


async def _answer(client: Client, body: bytes) -> tuple[int, Any]:
    response = await client.post("/rpc", data=body, headers={"Content-Type": "application/json"})
    raw = await response.read()
    assert response.headers.get("Content-Type", "application/json") == "application/json"
    return response.status, (orjson.loads(raw) if raw else None)


@pytest.fixture
async def calc_client(make_client: MakeClient) -> Client:
    return await make_client(namespaces=NAMESPACES)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(document=documents)
async def test_any_json_value_gets_the_specified_answer(calc_client: Client, document: Any) -> None:
    status, body = await _answer(calc_client, orjson.dumps(document))
    if type(document) is list and document:
        expected = [_expected_id(entry) for entry in document if not _is_notification(entry)]
        if not expected:
            assert (status, body) == (204, None)
        else:
            assert status == 200 and type(body) is list and len(body) == len(expected)
            for response, expected_id in zip(body, expected, strict=True):
                _check_response(response, expected_id)
    elif _is_notification(document):
        assert (status, body) == (204, None)
    else:
        assert status == 200
        _check_response(body, _expected_id(document) if type(document) is dict else None)
    status, alive = await _answer(
        calc_client, b'{"jsonrpc":"2.0","method":"calc.add","params":[1,1],"id":0}'
    )
    assert alive == {"jsonrpc": "2.0", "result": 2, "id": 0}


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.binary(max_size=300) | documents.map(orjson.dumps).map(lambda b: b[: len(b) // 2]))
async def test_any_bytes_get_a_well_formed_answer(calc_client: Client, body: bytes) -> None:
    status, answer = await _answer(calc_client, body)
    assert status in (200, 204)
    if status == 204:
        return
    for response in answer if type(answer) is list else [answer]:
        assert response["jsonrpc"] == "2.0" and "id" in response
        assert ("result" in response) != ("error" in response)
    status, alive = await _answer(
        calc_client, b'{"jsonrpc":"2.0","method":"calc.add","params":[1,1],"id":0}'
    )
    assert alive["result"] == 2
