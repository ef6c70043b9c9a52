"""Bind JSON-RPC params to a handler's signature, validated from its type hints.

Everything that can be prepared is prepared once, when the method is registered: a
pydantic-core *arguments* validator built from the signature (it binds positional and named
params itself, the way Python calls do), the model OpenRPC describes the params with, and
which leading parameters the server injects. Per call, binding is one validator call.
"""

from __future__ import annotations

import inspect
import math
import types
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from types import MappingProxyType
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints
from uuid import UUID

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError, create_model
from pydantic.experimental.arguments_schema import generate_arguments_schema
from pydantic_core import ArgsKwargs, CoreConfig, SchemaValidator

from app.rpc.errors import InvalidParams
from app.rpc.scalars import ScalarBinder

_VALUE_ECHO_LIMIT = 200
"""Bad values longer than this (as JSON) are not echoed back in full."""
REDACTED = "[redacted]"
"""What a -32602 entry shows as the value for a method that declares ``redact_values``."""
_MODEL = ConfigDict(strict=True, extra="forbid")
_NO_ARGS = ArgsKwargs(())

Bound = tuple[tuple[Any, ...], dict[str, Any]]
"""Validated positional and keyword arguments for a handler (injected ones excluded)."""


@dataclass(frozen=True, slots=True)
class Binder:
    """Turns the ``params`` member of a request into the arguments of one handler."""

    model: type[BaseModel]
    """The client's params as a model: what OpenRPC describes."""
    positional: tuple[str, ...]
    """Client parameters that may be given by position, in order."""
    var_positional: str | None
    """The ``*args`` parameter, which takes every remaining positional value."""
    injected: dict[str, type]
    """Leading parameters the server fills in (store, settings, call context), in order."""
    nesting: float
    """How many levels deep valid params can nest (params itself is 1); inf if unbounded."""
    _validator: SchemaValidator
    redact_values: bool = False
    """Never echo a received value: the params may hold secrets (card data), wherever a
    client put them, even in the wrong param or position."""
    _fast: ScalarBinder | None = None
    """For params that are all plain scalars: the same binding without the validator's call
    (see `scalars.py`); whatever it is unsure of goes to the validator."""

    @property
    def param_structure(self) -> str:
        """OpenRPC's ``paramStructure`` for this signature.

        OpenRPC cannot describe ``*args``, so such methods are described by name
        (``{"numbers": [1, 2]}``); the server still takes them by position too.
        """
        return "either" if self.var_positional is None else "by-name"

    def bind(self, params: Any) -> Bound:
        """Validate ``params`` (array, object or absent) into the handler's arguments."""
        if self._fast is not None:
            bound = self._fast.bind(params)
            if bound is not None:
                return bound
        if type(params) is list:
            arguments = ArgsKwargs(tuple(params))
        elif params is None:
            arguments = _NO_ARGS
        elif self.var_positional is not None and self.var_positional in params:
            arguments = self._variadic_by_name(params, self.var_positional)
        else:
            arguments = ArgsKwargs((), params)
        validator = self._validator
        try:
            # Strict Python validation is a subset of strict JSON validation with the same
            # results, and cheaper; only when it refuses do we pay for the JSON path, whose
            # verdict (str -> datetime, enum or Decimal allowed; "2" -> int refused) is final.
            return validator.validate_python(arguments)  # type: ignore[no-any-return]
        except ValidationError as exc:
            python_verdict = exc
        try:
            raw = orjson.dumps(
                list(arguments.args) if arguments.kwargs is None else arguments.kwargs
            )
        except TypeError:  # nested deeper than orjson writes (~250): JSON cannot judge it
            raise InvalidParams(data=self._problems(python_verdict)) from None
        if arguments.args and arguments.kwargs:  # *args given by name: no single JSON form
            raise InvalidParams(data=self._problems(python_verdict)) from None
        try:
            return validator.validate_json(raw)  # type: ignore[no-any-return]
        except ValidationError as exc:
            raise InvalidParams(data=self._problems(exc)) from None

    def _variadic_by_name(self, params: dict[str, Any], var: str) -> ArgsKwargs:
        """``{"numbers": [1, 2]}`` for ``*numbers``: the documented by-name form of *args."""
        named = dict(params)
        values = named.pop(var)
        missing = [name for name in self.positional if name not in named]
        if type(values) is not list or missing:
            problem = [
                {"path": name, "problem": "Missing required argument", "type": "missing_argument"}
                for name in missing
            ]
            if type(values) is not list:
                problem.append(
                    {
                        "path": var,
                        "problem": "Input should be an array",
                        "type": "list_type",
                        "value": self._value(values),
                    }
                )
            raise InvalidParams(data=problem)
        leading = tuple(named.pop(name) for name in self.positional)
        return ArgsKwargs((*leading, *values), named or None)

    def _problems(self, exc: ValidationError) -> list[dict[str, Any]]:
        """One entry per bad field: its path, the problem, the error type and the value received."""
        entries = []
        for error in exc.errors(include_url=False):
            loc = error["loc"]
            path = [self._name(loc[0]), *map(str, loc[1:])] if loc else ["params"]
            entry: dict[str, Any] = {
                "path": ".".join(path),
                "problem": error["msg"],
                "type": error["type"],
            }
            if error["type"] == "unexpected_positional_argument":
                entry["problem"] += f": the method takes at most {len(self.positional)}"
            if error["type"] not in ("missing", "missing_argument"):
                entry["value"] = self._value(error["input"])
            entries.append(entry)
        return entries

    def problem_at(
        self, loc: Sequence[int | str], problem: str, error_type: str, value: Any
    ) -> dict[str, Any]:
        """A -32602 entry for a bad value at ``loc`` in params, found before validation."""
        path = [self._name(loc[0]), *map(str, loc[1:])] if loc else ["params"]
        return {
            "path": ".".join(path),
            "problem": problem,
            "type": error_type,
            "value": self._value(value),
        }

    def _value(self, value: Any) -> Any:
        return REDACTED if self.redact_values else _echo(value)

    def _name(self, where: int | str) -> str:
        """A positional index as the parameter's name (``*args`` items as ``numbers.2``)."""
        if isinstance(where, str):
            return where
        if where < len(self.positional):
            return self.positional[where]
        if self.var_positional is not None:
            return f"{self.var_positional}.{where - len(self.positional)}"
        return str(where)


class SignatureError(TypeError):
    """A handler signature the server cannot serve."""


def build_binder(
    func: Callable[..., Any],
    name: str,
    injectable: Collection[type],
    *,
    refused: Mapping[type, str] = MappingProxyType({}),
    redact_values: bool = False,
) -> Binder:
    """Prepare the binder for ``func``; raise ``SignatureError`` for a signature we cannot serve."""
    signature = inspect.signature(func)
    hints = get_type_hints(func, include_extras=True)
    if "return" not in hints:
        raise SignatureError(f"{name}: the return type needs an annotation")
    fields: dict[str, Any] = {}
    positional: list[str] = []
    var_positional: str | None = None
    injected: dict[str, type] = {}
    for param in signature.parameters.values():
        if param.name not in hints:
            raise SignatureError(f"{name}: parameter {param.name!r} needs a type annotation")
        hint = hints[param.name]
        if any(hint is kind for kind in injectable):
            if fields or param.kind is inspect.Parameter.KEYWORD_ONLY:
                raise SignatureError(
                    f"{name}: server-supplied parameters ({param.name}) must come first"
                )
            injected[param.name] = hint
            continue
        if hint in refused:
            raise SignatureError(f"{name}: {param.name}: {refused[hint]}")
        if getattr(hint, "_is_protocol", False):
            raise SignatureError(
                f"{name}: {param.name} needs a {hint.__name__}, and no plugin provides one"
            )
        if param.name.startswith(("_", "model_")) or hasattr(BaseModel, param.name):
            raise SignatureError(f"{name}: parameter name {param.name!r} is reserved; rename it")
        if param.kind is inspect.Parameter.POSITIONAL_ONLY:
            raise SignatureError(f"{name}: {param.name} is positional-only; params have names")
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            raise SignatureError(
                f"{name}: **{param.name} cannot be described; declare each parameter"
            )
        default = ... if param.default is inspect.Parameter.empty else param.default
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            var_positional = param.name
            fields[param.name] = (list[hint], [])  # type: ignore[valid-type]
        else:
            if param.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
                positional.append(param.name)
            fields[param.name] = (hint, default)
    schema = generate_arguments_schema(
        func,
        # "arguments" reads JSON arrays as positional params; "arguments-v3" does not.
        schema_type="arguments",
        parameters_callback=lambda _index, param, _hint: "skip" if param in injected else None,
        # Nested TypedDicts and dataclasses take their config from here, as in the model.
        config=_MODEL,
    )
    # The arguments schema itself does not keep the generator's strictness: give it here.
    validator = SchemaValidator(schema, config=CoreConfig(strict=True))
    return Binder(
        model=create_model(f"{name}.params", __config__=_MODEL, **fields),
        positional=tuple(positional),
        var_positional=var_positional,
        injected=injected,
        nesting=1 + max((nesting_of(field[0]) for field in fields.values()), default=0),
        _validator=validator,
        redact_values=redact_values,
        _fast=ScalarBinder.build(schema),
    )


_SCALARS = (int, float, str, bytes, Decimal, datetime, date, time, timedelta, UUID, Enum)
_SEQUENCES = (list, tuple, set, frozenset, Sequence)


def nesting_of(hint: Any, _models: frozenset[type] = frozenset()) -> float:
    """Container levels a value of type ``hint`` can have: 0 for scalars, inf if unbounded.

    Params whose types cannot nest deeper than the server's limit need no depth check per
    call; unknown or recursive types (``Any``, JSON values) are assumed unbounded.
    """
    origin = get_origin(hint)
    args = get_args(hint)
    if origin is Annotated:
        return nesting_of(args[0], _models)
    if origin is Literal or hint is None or hint is type(None):
        return 0
    if origin is Union or origin is types.UnionType:
        return max(nesting_of(arg, _models) for arg in args)
    if origin in _SEQUENCES:
        items = [arg for arg in args if arg is not Ellipsis]
        return 1 + max((nesting_of(arg, _models) for arg in items), default=math.inf)
    if origin is dict or origin is Mapping:
        return 1 + (nesting_of(args[1], _models) if len(args) == 2 else math.inf)
    if isinstance(hint, type):
        if issubclass(hint, _SCALARS):
            return 0
        if issubclass(hint, BaseModel) and hint not in _models:
            inner = _models | {hint}
            fields = hint.model_fields.values()
            return 1 + max((nesting_of(f.annotation, inner) for f in fields), default=0)
    return math.inf


def _echo(value: Any) -> Any:
    """The value as received, or a short preview when it is too large to send back."""
    try:
        text = orjson.dumps(value)
    except TypeError:  # nested beyond what orjson writes
        return "(nested too deeply to echo)"
    if len(text) <= _VALUE_ECHO_LIMIT:
        return value
    preview = text[:_VALUE_ECHO_LIMIT].decode("utf-8", "ignore")
    return f"{preview}… ({len(text)} bytes, truncated)"
