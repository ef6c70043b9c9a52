"""How ``rpc-hub call`` turns its words into params (tests/test_cli_call.py runs it for real)."""

from __future__ import annotations

import pytest

from app.client.commands import Usage, parse_params, parse_value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"a": [1, "x"]}', {"a": [1, "x"]}),
        ("London", "London"),
        ('"5"', "5"),
        ("5", 5),
        (" 2 ", 2),
        ("-1.5", -1.5),
        ("true", True),
        ("null", None),
        ("", ""),
        ("12345678901234567890123", 12345678901234567890123),  # exact, not a float
        ("1e400", "1e400"),  # no JSON number can carry it
        ("NaN", "NaN"),
        ("Infinity", "Infinity"),
    ],
)
def test_values_are_json_where_they_parse_exactly(text: str, value: object) -> None:
    assert parse_value(text) == value
    assert type(parse_value(text)) is type(value)


def test_named_or_positional_params() -> None:
    assert parse_params([]) is None
    assert parse_params(["1", "x"]) == [1, "x"]
    assert parse_params(["a=1", "b=x=y", "c="]) == {"a": 1, "b": "x=y", "c": ""}
    assert parse_params(['"a=1"', "[1]"]) == ["a=1", [1]]


def test_mixing_named_and_positional_is_refused() -> None:
    with pytest.raises(Usage, match="either all as key=value"):
        parse_params(["a=1", "2"])
