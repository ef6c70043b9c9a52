"""Bind JSON-RPC params to a handler's signature, validated from its type hints.

Everything here that can be prepared is prepared once, when the method is registered:
the pydantic model, the order of positional names, and which parameters the server injects.
Per call, binding is one dict build and one validator call.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, cast, get_type_hints

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError, create_model
from pydantic_core import SchemaValidator

from app.rpc.errors import InvalidParams

_VALUE_ECHO_LIMIT = 200
"""Bad values longer than this (as JSON) are not echoed back in full."""


@dataclass(frozen=True, slots=True)
class Binder:
    """Turns the ``params`` member of a request into the arguments of one handler."""

    model: type[BaseModel]
    positional: tuple[str, ...]
    """Parameters that may be given by position, in order."""
    var_positional: str | None
    """The ``*args`` parameter, which takes every remaining positional value."""
    pass_positionally: tuple[str, ...]
    """Parameters the handler must receive positionally (positional-only, or before *args)."""
    injected: dict[str, type]
    """Parameters the server fills in (the store, the call context), never the client."""
    _validator: SchemaValidator

    @property
    def param_structure(self) -> str:
        """OpenRPC's ``paramStructure`` for this signature.

        OpenRPC cannot describe ``*args``, so such methods are described by name
        (``{"numbers": [1, 2]}``); the server still takes them by position too.
        """
        return "either" if self.var_positional is None else "by-name"

    def bind(self, params: Any) -> dict[str, Any]:
        """Validate ``params`` (list, dict or absent) and return the handler's keyword values."""
        if type(params) is list:
            data = self._from_positions(params)
        elif params is None:
            data = {}
        else:
            data = params
        validator = self._validator
        try:
            # Strict Python validation is a subset of strict JSON validation with the same
            # results, and cheaper; only when it refuses do we pay for the JSON path, whose
            # verdict (str -> datetime, enum or Decimal allowed; "2" -> int refused) is final.
            return validator.validate_python(data).__dict__  # type: ignore[no-any-return]
        except ValidationError:
            pass
        try:
            return validator.validate_json(orjson.dumps(data)).__dict__  # type: ignore[no-any-return]
        except ValidationError as exc:
            raise InvalidParams(data=problems(exc)) from None

    def call_args(self, values: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        """Split bound values into the handler's positional and keyword arguments."""
        args = [values.pop(name) for name in self.pass_positionally]
        if self.var_positional is not None:
            args.extend(values.pop(self.var_positional))
        return args, values

    def _from_positions(self, params: list[Any]) -> dict[str, Any]:
        names = self.positional
        if len(params) <= len(names):
            return dict(zip(names, params, strict=False))
        data = dict(zip(names, params, strict=False))
        rest = params[len(names) :]
        if self.var_positional is not None:
            data[self.var_positional] = rest
            return data
        problem = f"Unexpected positional parameter: the method takes at most {len(names)}"
        raise InvalidParams(
            data=[
                {
                    "path": str(index),
                    "problem": problem,
                    "type": "too_many_positional",
                    "value": _echo(value),
                }
                for index, value in enumerate(rest, start=len(names))
            ]
        )


def build_binder(func: Callable[..., Any], name: str, injectable: Collection[type]) -> Binder:
    """Prepare the binder for ``func``; raise ``TypeError`` for a signature we cannot serve."""
    signature = inspect.signature(func)
    hints = get_type_hints(func, include_extras=True)
    fields: dict[str, Any] = {}
    positional: list[str] = []
    pass_positionally: list[str] = []
    var_positional: str | None = None
    injected: dict[str, type] = {}
    for param in signature.parameters.values():
        if param.name not in hints:
            raise TypeError(f"{name}: parameter {param.name!r} needs a type annotation")
        hint = hints[param.name]
        if any(hint is kind for kind in injectable):
            injected[param.name] = hint
            continue
        if param.name.startswith(("_", "model_")) or hasattr(BaseModel, param.name):
            raise TypeError(f"{name}: parameter name {param.name!r} is reserved; rename it")
        default = ... if param.default is inspect.Parameter.empty else param.default
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            var_positional = param.name
            pass_positionally.extend(positional)
            fields[param.name] = (list[hint], [])  # type: ignore[valid-type]
        elif param.kind is inspect.Parameter.VAR_KEYWORD:
            raise TypeError(f"{name}: **{param.name} cannot be described; declare each parameter")
        else:
            if param.kind is not inspect.Parameter.KEYWORD_ONLY:
                positional.append(param.name)
            if param.kind is inspect.Parameter.POSITIONAL_ONLY:
                pass_positionally.append(param.name)
            fields[param.name] = (hint, default)
    if "return" not in hints:
        raise TypeError(f"{name}: the return type needs an annotation")
    model = create_model(
        f"{name}.params",
        __config__=ConfigDict(strict=True, extra="forbid"),
        **fields,
    )
    return Binder(
        model=model,
        positional=tuple(positional),
        var_positional=var_positional,
        pass_positionally=tuple(dict.fromkeys(pass_positionally)),
        injected=injected,
        # A SchemaValidator, or a drop-in wrapper of one when pydantic plugins are installed.
        _validator=cast(SchemaValidator, model.__pydantic_validator__),
    )


def problems(exc: ValidationError) -> list[dict[str, Any]]:
    """One entry per bad field: its path, the problem, the error type and the value received."""
    entries = []
    for error in exc.errors(include_url=False):
        entry: dict[str, Any] = {
            "path": ".".join(str(part) for part in error["loc"]) or "params",
            "problem": error["msg"],
            "type": error["type"],
        }
        if error["type"] != "missing":
            entry["value"] = _echo(error["input"])
        entries.append(entry)
    return entries


def _echo(value: Any) -> Any:
    """The value as received, or a short preview when it is too large to send back."""
    text = orjson.dumps(value)
    if len(text) <= _VALUE_ECHO_LIMIT:
        return value
    preview = text[:_VALUE_ECHO_LIMIT].decode("utf-8", "ignore")
    return f"{preview}… ({len(text)} bytes, truncated)"
