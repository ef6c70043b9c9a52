"""Params by position and by name, validated strictly from the handler's type hints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from typing_extensions import TypedDict  # pydantic wants it on Python < 3.12

from app.plugins import Plugin
from app.rpc.namespace import Namespace
from tests.helpers.rpc import Client, MakeClient, error, result


async def test_by_position_and_by_name_agree(client: Client) -> None:
    assert await result(client, "calc.divide", [10, 4]) == 2.5
    assert await result(client, "calc.divide", {"divisor": 4, "dividend": 10}) == 2.5


async def test_missing_params_are_listed(client: Client) -> None:
    err = await error(client, "calc.subtract", [42])
    assert err["code"] == -32602
    assert err["data"] == [
        {"path": "subtrahend", "problem": "Missing required argument", "type": "missing_argument"}
    ]


async def test_omitted_params_mean_none_given(client: Client) -> None:
    err = await error(client, "calc.add")
    assert [p["path"] for p in err["data"]] == ["a", "b"]
    assert await result(client, "calc.get_data") == ["hello", 5]


async def test_too_many_positional_params(client: Client) -> None:
    err = await error(client, "calc.add", [1, 2, 3, "four"])
    assert err["code"] == -32602
    assert err["data"] == [
        {
            "path": "2",
            "problem": "Unexpected positional argument: the method takes at most 2",
            "type": "unexpected_positional_argument",
            "value": 3,
        },
        {
            "path": "3",
            "problem": "Unexpected positional argument: the method takes at most 2",
            "type": "unexpected_positional_argument",
            "value": "four",
        },
    ]


async def test_unknown_named_params(client: Client) -> None:
    err = await error(client, "calc.add", {"a": 1, "b": 2, "c": 3})
    assert err["data"] == [
        {
            "path": "c",
            "problem": "Unexpected keyword argument",
            "type": "unexpected_keyword_argument",
            "value": 3,
        }
    ]


@pytest.mark.parametrize("bad", ["2", True, None, [1], {"n": 1}])
async def test_types_are_strict(client: Client, bad: Any) -> None:
    err = await error(client, "calc.add", [1, bad])
    assert err["code"] == -32602
    assert err["data"] == [
        {
            "path": "b",
            "problem": "Input should be a finite number",
            "type": "number_type",
            "value": bad,
        }
    ]


async def test_every_bad_field_is_reported(client: Client) -> None:
    err = await error(client, "calc.add", {"a": "x", "b": False})
    assert [(p["path"], p["value"]) for p in err["data"]] == [("a", "x"), ("b", False)]


async def test_variadic_params_by_position_and_by_name(client: Client) -> None:
    assert await result(client, "calc.sum", [1, 2, 4]) == 7
    assert await result(client, "calc.sum", []) == 0
    assert await result(client, "calc.sum", {"numbers": [1, 2, 4]}) == 7
    err = await error(client, "calc.sum", [1, 2, "x"])
    assert err["data"][0]["path"] == "numbers.2"


async def test_variadic_params_by_name_report_each_bad_item(client: Client) -> None:
    err = await error(client, "calc.sum", {"numbers": [1, "x"]})
    assert err["data"] == [
        {
            "path": "numbers.1",
            "problem": "Input should be a finite number",
            "type": "number_type",
            "value": "x",
        }
    ]
    err = await error(client, "calc.sum", {"numbers": 3})
    assert err["data"] == [
        {"path": "numbers", "problem": "Input should be an array", "type": "list_type", "value": 3}
    ]
    err = await error(client, "calc.sum", {"numbers": [1], "extra": 2})
    assert err["data"] == [
        {
            "path": "extra",
            "problem": "Unexpected keyword argument",
            "type": "unexpected_keyword_argument",
            "value": 2,
        }
    ]


class Point(TypedDict):
    x: int


@dataclass
class Size:
    width: int


async def place(point: Point, size: Size) -> int:
    """Take a TypedDict and a dataclass."""
    return point["x"] + size.width


async def test_typed_dicts_and_dataclasses_in_params_are_strict_too(
    make_client: MakeClient,
) -> None:
    client = await make_client(plugins=[Plugin([Namespace("shapes", [place])])])
    assert await result(client, "shapes.place", [{"x": 1}, {"width": 2}]) == 3
    err = await error(
        client, "shapes.place", {"point": {"x": "1"}, "size": {"width": 2, "depth": 3}}
    )
    assert [(p["path"], p["type"], p["value"]) for p in err["data"]] == [
        ("point.x", "int_type", "1"),
        ("size.depth", "unexpected_keyword_argument", 3),
    ]


async def test_a_huge_bad_value_is_not_echoed_whole(client: Client) -> None:
    err = await error(client, "calc.add", [1, "x" * 100_000])
    value = err["data"][0]["value"]
    assert isinstance(value, str)
    assert len(value) < 300
    assert "truncated" in value


async def test_injected_parameters_cannot_be_supplied(client: Client) -> None:
    assert (await result(client, "probe.context"))["method"] == "probe.context"
    err = await error(client, "probe.context", {"ctx": {"request_id": "forged", "method": "x"}})
    assert err["data"][0]["type"] == "unexpected_keyword_argument"


async def test_call_context_carries_the_request_id(client: Client) -> None:
    response = await client.post(
        "/rpc",
        json={"jsonrpc": "2.0", "method": "probe.context", "id": 1},
        headers={"X-Request-ID": "trace-123"},
    )
    assert (await response.json())["result"] == {
        "request_id": "trace-123",
        "method": "probe.context",
    }


def test_how_deep_each_type_can_nest() -> None:
    import math

    from pydantic import BaseModel, JsonValue

    from app.rpc.params import nesting_of
    from app.rpc.types import Number

    class Line(BaseModel):
        sku: str
        tags: list[str]

    class Tree(BaseModel):
        child: Tree | None = None

    assert nesting_of(Number) == 0
    assert nesting_of(str | None) == 0
    assert nesting_of(list[Number]) == 1
    assert nesting_of(dict[str, list[int]]) == 2
    assert nesting_of(list[Line]) == 3
    assert nesting_of(Tree) == math.inf
    assert nesting_of(JsonValue) == math.inf
    assert nesting_of(Any) == math.inf
    assert nesting_of(list) == math.inf
