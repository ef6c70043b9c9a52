"""A fast path for binding the params of methods that take only plain scalars.

It is built at registration from the same pydantic-core arguments schema the general
validator runs, and only for schemas it can judge exactly with a few comparisons: strict
`int`, `float`, `str` and `bool`, the finite `Number` union, string `Literal`s, `None` where
a param is nullable, defaults, and the `ge`, `gt`, `le`, `lt`, `min_length` and `max_length`
constraints. It only ever accepts: a value it is not sure of (a wrong type, a value out of
range, a string that is not ASCII, an unknown name) makes `bind` answer None, and the call
goes to the general validator, so every error and its `data` come from one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic_core import CoreSchema

Bound = tuple[tuple[Any, ...], dict[str, Any]]

_REQUIRED: Any = object()
_NO: Any = object()
"""What `_Scalar.take` answers for a value it will not judge."""
_EXACT_FLOAT = 2**53
"""Integers up to this size become floats exactly (a float param takes an int, as a float)."""

_INT, _FLOAT, _NUMBER, _STR, _BOOL, _LITERAL = range(6)
_KEYS = {
    "int": {"ge", "gt", "le", "lt"},
    "float": {"ge", "gt", "le", "lt", "allow_inf_nan"},
    "str": {"min_length", "max_length"},
    "bool": set(),
    "literal": {"expected"},
}
"""The members of each scalar schema this module understands; any other means no fast path."""
_KINDS = {"int": _INT, "float": _FLOAT, "str": _STR, "bool": _BOOL, "literal": _LITERAL}


@dataclass(frozen=True, slots=True)
class _Scalar:
    """One param: its kind, its bounds, and whether null is allowed."""

    name: str
    kind: int
    nullable: bool = False
    default: Any = _REQUIRED
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    bounded: bool = False
    min_length: int = 0
    max_length: int | None = None
    choices: frozenset[str] = frozenset()

    def take(self, value: Any) -> Any:
        """The value the validator would bind for `value`, or `_NO` if unsure."""
        kind = type(value)
        if value is None:
            return None if self.nullable else _NO
        if self.kind == _NUMBER:
            if kind is int or (kind is float and value - value == 0.0):
                return value
            return _NO
        if self.kind == _STR:
            if kind is not str or not value.isascii():  # ASCII: no lone surrogate to refuse
                return _NO
            size = len(value)
            if size < self.min_length or (self.max_length is not None and size > self.max_length):
                return _NO
            return value
        if self.kind == _INT:
            if kind is not int:
                return _NO
        elif self.kind == _FLOAT:
            if kind is int and -_EXACT_FLOAT <= value <= _EXACT_FLOAT:
                value = float(value)
            elif kind is not float or value - value != 0.0:  # not finite: the validator decides
                return _NO
        elif self.kind == _BOOL:
            return value if kind is bool else _NO
        else:
            return value if kind is str and value in self.choices else _NO
        if self.bounded and not self._within(value):
            return _NO
        return value

    def _within(self, value: float) -> bool:
        return (
            (self.ge is None or value >= self.ge)
            and (self.gt is None or value > self.gt)
            and (self.le is None or value <= self.le)
            and (self.lt is None or value < self.lt)
        )


class ScalarBinder:
    """Binds params the general validator would accept, to exactly what it would bind."""

    def __init__(
        self,
        positional: Sequence[_Scalar],
        keyword_only: Sequence[_Scalar],
        var_positional: _Scalar | None,
    ) -> None:
        self._positional = tuple(positional)
        self._params = (*positional, *keyword_only)
        self._by_name = {param.name: param for param in self._params}
        self._var = var_positional
        self._required = sum(param.default is _REQUIRED for param in positional)
        self._by_position_only = all(param.default is not _REQUIRED for param in keyword_only)
        """Whether an array can bind at all: no keyword-only param without a default."""
        self._coerces = any(param.kind == _FLOAT for param in self._params) or (
            var_positional is not None and var_positional.kind == _FLOAT
        )

    @classmethod
    def build(cls, schema: CoreSchema) -> ScalarBinder | None:
        """The fast path for an `arguments` schema, or None if it holds anything else."""
        if schema.get("type") != "arguments" or set(schema) - {
            "type",
            "arguments_schema",
            "var_args_schema",
            "metadata",
        }:
            return None
        positional: list[_Scalar] = []
        keyword_only: list[_Scalar] = []
        for argument in schema["arguments_schema"]:
            if set(argument) - {"name", "mode", "schema"}:
                return None  # an alias, or whatever a later pydantic adds
            param = _scalar(argument["name"], argument["schema"])
            if param is None:
                return None
            if argument.get("mode", "positional_or_keyword") == "positional_or_keyword":
                after_default = positional and positional[-1].default is not _REQUIRED
                if keyword_only or (after_default and param.default is _REQUIRED):
                    return None
                positional.append(param)
            elif argument["mode"] == "keyword_only":
                keyword_only.append(param)
            else:
                return None
        var = None
        if "var_args_schema" in schema:
            var = _scalar("*", schema["var_args_schema"])
            if var is None or var.default is not _REQUIRED:
                return None
        return cls(positional, keyword_only, var)

    def bind(self, params: Any) -> Bound | None:
        """`params` (an array, an object or None) bound as the validator would, or None."""
        if type(params) is list:
            return self._by_position(params)
        if params is None:
            return self._by_position([])
        if type(params) is dict and self._var is None:
            return self._named(params)
        return None

    def _by_position(self, values: list[Any]) -> Bound | None:
        positional = self._positional
        given = len(values)
        if (
            given < self._required
            or (self._var is None and given > len(positional))
            or not self._by_position_only
        ):
            return None
        args = list(values) if self._coerces else values
        for index, (param, value) in enumerate(zip(positional, values, strict=False)):
            if param.kind == _NUMBER:  # the commonest param, checked inline (a call costs more)
                kind = type(value)
                if kind is int or (kind is float and value - value == 0.0):
                    continue
                return None
            taken = param.take(value)
            if taken is _NO:
                return None
            if taken is not value:
                args[index] = taken
        var = self._var
        if var is not None and given > len(positional):
            rest = [var.take(value) for value in values[len(positional) :]]
            if _NO in rest:
                return None
            return (*args[: len(positional)], *rest), self._defaults(len(positional))
        return tuple(args), self._defaults(given)

    def _named(self, values: Mapping[str, Any]) -> Bound | None:
        by_name = self._by_name
        if any(name not in by_name for name in values):
            return None
        kwargs: dict[str, Any] = {}
        for param in self._params:  # in signature order, as the validator returns them
            value = values.get(param.name, _NO)
            if value is _NO:
                if param.default is _REQUIRED:
                    return None
                kwargs[param.name] = param.default
                continue
            taken = param.take(value)
            if taken is _NO:
                return None
            kwargs[param.name] = taken
        return (), kwargs

    def _defaults(self, given: int) -> dict[str, Any]:
        """The validator fills in every param not given by position, in signature order."""
        if given >= len(self._params):
            return {}
        return {param.name: param.default for param in self._params[given:]}


def _scalar(name: str, schema: CoreSchema) -> _Scalar | None:
    """One param's checks from its core schema, or None if it is not a plain scalar."""
    default = _REQUIRED
    nullable = False
    if schema.get("type") == "default":
        if set(schema) - {"type", "schema", "default", "metadata"}:
            return None  # a default_factory, or validate_default
        default = schema["default"]
        schema = schema["schema"]
    if schema.get("type") == "nullable":
        if set(schema) - {"type", "schema", "metadata"}:
            return None
        nullable = True
        schema = schema["schema"]
    kind_name = schema.get("type")
    if kind_name == "union":
        return _number(name, schema, default, nullable)
    allowed = _KEYS.get(str(kind_name))
    if allowed is None or set(schema) - allowed - {"type", "strict", "metadata"}:
        return None
    if schema.get("strict") is False:
        return None
    expected = schema.get("expected", ())
    if kind_name == "literal" and not all(type(choice) is str for choice in expected):
        return None
    bounds = {key: schema.get(key) for key in ("ge", "gt", "le", "lt")}
    return _Scalar(
        name,
        _KINDS[str(kind_name)],
        nullable,
        default,
        **bounds,
        bounded=any(bound is not None for bound in bounds.values()),
        min_length=schema.get("min_length", 0),
        max_length=schema.get("max_length"),
        choices=frozenset(expected),
    )


def _number(name: str, schema: CoreSchema, default: Any, nullable: bool) -> _Scalar | None:
    """`Number` (`app.rpc.types`): a strict int or a finite strict float, nothing more."""
    if set(schema) - {"type", "choices", "custom_error_type", "custom_error_message", "metadata"}:
        return None
    choices = schema["choices"]
    if len(choices) != 2 or not all(isinstance(choice, dict) for choice in choices):
        return None
    first, second = choices
    if first != {"type": "int", "strict": True} or second != {
        "type": "float",
        "allow_inf_nan": False,
        "strict": True,
    }:
        return None
    return _Scalar(name, _NUMBER, nullable, default)
