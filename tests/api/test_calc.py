"""calc.*: exact integers, floats, and errors with codes instead of error strings."""

from __future__ import annotations

from typing import Any

import pytest

from app.rpc.types import INT_MAX, INT_MIN
from tests.helpers.rpc import Client, error, result


@pytest.mark.parametrize(
    ("method", "params", "expected"),
    [
        ("calc.add", [2, 3], 5),
        ("calc.add", [0.1, 0.2], 0.1 + 0.2),
        ("calc.add", [INT_MAX - 1, 1], INT_MAX),
        ("calc.subtract", [INT_MIN + 1, 1], INT_MIN),
        ("calc.multiply", [6, 7], 42),
        ("calc.multiply", [2**32, 2**31], 2**63),
        ("calc.multiply", [1.5, 2], 3.0),
        ("calc.divide", [10, 2], 5),
        ("calc.divide", [7, 2], 3.5),
        ("calc.divide", [-9, 3], -3),
        ("calc.divide", [2**63, 2**31], 2**32),
        ("calc.sum", [1, 2, 4], 7),
        ("calc.sum", [1, 2.5], 3.5),
    ],
)
async def test_results(client: Client, method: str, params: list[Any], expected: Any) -> None:
    value = await result(client, method, params)
    assert value == expected
    assert type(value) is type(expected)


async def test_integers_stay_exact_beyond_float_precision(client: Client) -> None:
    big = 2**53 + 1
    assert await result(client, "calc.add", [big, 0]) == big
    assert await result(client, "calc.divide", [big * 3, 3]) == big


async def test_division_by_zero_is_a_domain_error(client: Client) -> None:
    for divisor in (0, 0.0):
        err = await error(client, "calc.divide", [1, divisor])
        assert err == {"code": 1001, "message": "Division by zero", "data": {"dividend": 1}}


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("calc.add", [INT_MAX, 1]),
        ("calc.subtract", [INT_MIN, 1]),
        ("calc.multiply", [2**40, 2**40]),
        ("calc.multiply", [1e308, 10]),
        ("calc.sum", [1.7e308, 1.7e308]),
    ],
)
async def test_results_json_cannot_carry_exactly_are_refused(
    client: Client, method: str, params: list[Any]
) -> None:
    err = await error(client, method, params)
    assert err["code"] == 1002
    assert err["message"] == "Result out of range"
