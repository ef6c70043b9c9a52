"""The scalar fast path (app.rpc.scalars) binds exactly what the general validator binds.

It may decline anything (the validator then judges, with the same errors), but whatever it
accepts must match the validator's result value for value and type for type.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import Field

from app.rpc.errors import InvalidParams
from app.rpc.namespace import Method, Namespace
from app.rpc.params import Binder
from app.rpc.registry import Registry
from app.rpc.types import Number
from app.server.app import build_api
from app.settings import Settings


async def kinds(
    count: int,
    ratio: float,
    label: str,
    flag: bool,
    level: Literal["low", "high"],
    note: str | None = None,
    scale: Annotated[float, Field(gt=0, le=100)] = 1.0,
    *,
    depth: Annotated[int, Field(ge=0, lt=10)] = 3,
) -> None:
    """Every scalar kind the fast path handles."""


async def short(name: Annotated[str, Field(min_length=2, max_length=5)], x: Number = 0) -> None:
    """Length bounds and a defaulted Number."""


async def many(first: int, *rest: Number) -> None:
    """``*args`` of Numbers after a plain int."""


_OWN = Registry([Namespace("t", [Method(kinds), Method(short), Method(many)])])
_SERVED, _ = build_api(Settings())


def _fast_binders() -> list[tuple[str, Binder]]:
    entries = [*_OWN, *_SERVED]
    return [(entry.name, entry.binder) for entry in entries if entry.binder._fast is not None]


def _typed(value: Any) -> Any:
    """``value`` with every number's type kept: 1 and 1.0 and True must not compare equal."""
    if isinstance(value, tuple | list):
        return [_typed(item) for item in value]
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    return (type(value).__name__, value)


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=-20, max_value=120),
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(min_value=-5, max_value=150),
    st.text(max_size=8),
    st.sampled_from(["low", "high", "mid", "ab", "abcdef", "é", "\ud800"]),
)
_values = st.one_of(
    _scalars,
    st.lists(_scalars, max_size=2),
    st.dictionaries(st.text(max_size=3), _scalars, max_size=1),
)


def _params(names: list[str]) -> st.SearchStrategy[Any]:
    named = st.sampled_from([*names, "extra", "rest"]) if names else st.just("extra")
    return st.one_of(
        st.none(),
        st.lists(_values, max_size=len(names) + 2),
        st.dictionaries(named, _values, max_size=len(names) + 1),
    )


@pytest.mark.parametrize(
    ("name", "binder"), _fast_binders(), ids=lambda x: x if isinstance(x, str) else ""
)
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_what_the_fast_path_binds_the_validator_binds(
    name: str, binder: Binder, data: st.DataObject
) -> None:
    names = [*binder.positional, *binder.model.model_fields]
    params = data.draw(_params(list(dict.fromkeys(names))))
    assert binder._fast is not None
    fast = binder._fast.bind(params)
    general = dataclasses.replace(binder, _fast=None)
    if fast is None:
        return  # declined: the validator decides alone, as without a fast path
    assert _typed(fast) == _typed(general.bind(params)), (name, params)


def test_the_common_methods_have_a_fast_path() -> None:
    # Else the property above holds trivially for them and the bench measures the validator.
    fast = {name for name, _ in _fast_binders()}
    assert {"calc.add", "calc.subtract", "calc.divide", "t.kinds", "t.short", "t.many"} <= fast


@pytest.mark.parametrize(
    ("params", "bound"),
    [
        (
            [3, 0.5, "x", True, "low"],
            ((3, 0.5, "x", True, "low"), {"note": None, "scale": 1.0, "depth": 3}),
        ),
        (
            [3, 2, "x", False, "high", "n", 7],
            ((3, 2.0, "x", False, "high", "n", 7.0), {"depth": 3}),
        ),
        (
            {"count": 1, "ratio": 1.5, "label": "y", "flag": True, "level": "low", "depth": 9},
            (
                (),
                {
                    "count": 1,
                    "ratio": 1.5,
                    "label": "y",
                    "flag": True,
                    "level": "low",
                    "note": None,
                    "scale": 1.0,
                    "depth": 9,
                },
            ),
        ),
    ],
)
def test_accepted_params_bind_as_the_handler_expects(params: Any, bound: Any) -> None:
    fast = _OWN.get("t.kinds")
    assert fast is not None and fast.binder._fast is not None
    assert _typed(fast.binder._fast.bind(params)) == _typed(bound)


@pytest.mark.parametrize(
    "params",
    [
        [True, 0.5, "x", True, "low"],  # a bool is not an int
        [3, 0.5, "x", True, "mid"],  # not one of the Literal's choices
        [3, 0.5, "x", True, "low", None, 0],  # scale must be > 0
        [3, 0.5, "x", True, "low", None, 1.0, 4],  # depth is keyword-only
        {"count": 1, "ratio": 1.5, "label": "y", "flag": True, "level": "low", "depth": 10},
        {"count": 1},  # missing required params
    ],
)
def test_wrong_params_are_declined_and_the_validator_names_the_problem(params: Any) -> None:
    entry = _OWN.get("t.kinds")
    assert entry is not None and entry.binder._fast is not None
    assert entry.binder._fast.bind(params) is None
    with pytest.raises(InvalidParams):
        entry.binder.bind(params)
