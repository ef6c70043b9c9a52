"""Property: any bytes or JSON value posted to /rpc gets a well-formed answer, as specified,
and the server keeps serving. The expected shape is worked out independently of the engine.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.rpc.errors import InvalidParams
from app.rpc.openrpc import named_params
from app.rpc.registry import Entry
from app.rpc.types import INT_MAX, INT_MIN
from app.server import build_api
from app.server.builtin import BUILTIN
from app.settings import Settings
from tests.helpers.rpc import Client, MakeClient

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
    return await make_client(plugins=[BUILTIN])


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


# The params model exists only to describe params in OpenRPC; the binder validates them.
# Both must accept exactly the same params, or the document promises what the server refuses.

_REGISTRY, _DOCUMENT = build_api(Settings())
_SHIPPED = [entry for entry in _REGISTRY if entry.binder.model.model_fields]


def _schema_values(schema: Any, seen: frozenset[str] = frozenset()) -> list[Any]:
    """Values a schema names (enums, consts, defaults, bounds and just past them)."""
    found: list[Any] = []
    if isinstance(schema, list):
        for item in schema:
            found += _schema_values(item, seen)
    elif isinstance(schema, dict):
        found += schema.get("enum", [])
        found += [schema[key] for key in ("const", "default") if key in schema]
        for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            if isinstance(schema.get(key), int | float):
                found += [schema[key], schema[key] - 1, schema[key] + 0.5]
        for key in ("minLength", "maxLength"):
            if isinstance(schema.get(key), int):
                found += ["x" * schema[key], "x" * (schema[key] + 1)]
        ref = schema.get("$ref", "").rpartition("/")[2]
        if ref and ref not in seen:
            found += _schema_values(_DOCUMENT["components"]["schemas"].get(ref), seen | {ref})
        for value in schema.values():
            found += _schema_values(value, seen)
    return found


def _examples(entry: Entry) -> list[dict[str, Any]]:
    named = [
        example.params if isinstance(example.params, dict) else named_params(entry, example.params)
        for example in entry.declared.examples
    ]
    return [orjson.loads(orjson.dumps(params)) for params in named]


def _candidates(entry: Entry, name: str) -> st.SearchStrategy[Any]:
    [method] = [m for m in _DOCUMENT["methods"] if m["name"] == entry.name]
    pool = [v for p in method["params"] if p["name"] == name for v in _schema_values(p)]
    pool += [params[name] for params in _examples(entry) if name in params]
    if not pool:
        return values
    known = st.sampled_from([orjson.loads(orjson.dumps(value)) for value in pool])
    return known | known | values | st.lists(known, max_size=3)


@st.composite
def _shipped_params(draw: st.DrawFn) -> tuple[Entry, dict[str, Any]]:
    """A shipped method, and one of its examples with up to two params changed or dropped."""
    entry = draw(st.sampled_from(_SHIPPED))
    examples = _examples(entry)
    params = dict(draw(st.sampled_from(examples))) if examples else {}
    names = [*entry.binder.model.model_fields, "unknown"]
    for name in draw(st.lists(st.sampled_from(names), max_size=2, unique=True)):
        if name in params and draw(st.booleans()):
            del params[name]
        else:
            params[name] = draw(_candidates(entry, name))
    return entry, params


def _binds(entry: Entry, params: Any) -> bool:
    try:
        entry.binder.bind(params)
    except InvalidParams:
        return False
    return True


@settings(max_examples=800, deadline=None)
@given(case=_shipped_params())
def test_the_binder_accepts_exactly_what_the_documented_params_model_accepts(
    case: tuple[Entry, dict[str, Any]],
) -> None:
    entry, params = case
    try:
        entry.binder.model.model_validate_json(orjson.dumps(params))
        documented = True
    except ValidationError:
        documented = False
    assert _binds(entry, params) == documented
    positional = entry.binder.positional
    leading = positional[: len(params)]
    if entry.binder.var_positional is None and set(params) == set(leading):
        # The same params by position get the same verdict.
        assert _binds(entry, [params[name] for name in leading]) == documented
