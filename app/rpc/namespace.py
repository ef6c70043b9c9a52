"""How a handler module declares its methods: plain data, no registration side effects.

A handler module ends with one declaration, which the app merges into its registry::

    namespace = Namespace("calc", [
        Method(add, examples=[Example("two plus three", params=[2, 3], result=5)]),
        Method(divide, errors=[DivisionByZero]),
    ])

Like ``errors``, this module is a leaf that handlers may import without touching the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.rpc.errors import DomainError

Handler = Callable[..., Coroutine[Any, Any, Any]]


@dataclass(frozen=True, slots=True)
class Example:
    """A params/result pair shown in OpenRPC and exercised by the test-suite."""

    name: str
    params: dict[str, Any] | list[Any]
    result: Any
    summary: str = ""


@dataclass(frozen=True, slots=True)
class Method:
    """One method of a namespace: the handler plus what its signature cannot say."""

    func: Handler
    name: str = ""
    """The name after ``namespace.``; defaults to the function's name."""
    errors: Sequence[type[DomainError]] = ()
    """Domain errors the method can raise, declared for OpenRPC."""
    examples: Sequence[Example] = ()
    deprecated: bool = False
    """Shown in OpenRPC; each call to a deprecated method is logged as a warning and counted."""
    replaced_by: str = ""
    """The full name of the method to call instead (such as `calc.add`), for a deprecated one:
    OpenRPC shows it as `x-replaced-by`, and the warning for each call names it."""
    idempotent: bool = False
    """Safe to repeat, so clients may retry it after a connection error."""
    redact_values: bool = False
    """Its params may carry secrets: -32602 errors name each bad field but echo no value."""
    timeout_s: float | None = None
    """Overrides the server's per-call timeout, e.g. for long-polls that bound themselves."""
    scope: str | None = None
    """What a caller must hold to call it (such as ``"cart:admin"``); the engine checks it
    before the handler runs. None: the namespace's scope."""
    cost: int = 1
    """Rate-limit units one call takes: more for work that costs the server more (a fuzzy
    search), so a batch of them drains a caller's allowance faster."""


@dataclass(frozen=True, slots=True)
class Namespace:
    """A named group of methods, such as ``calc`` or ``weather``."""

    name: str
    methods: Sequence[Method | Handler] = field(default_factory=tuple)
    scope: str | None = None
    """The scope its methods need unless they declare their own; None: the namespace's name."""

    def declared(self) -> list[Method]:
        """The methods, with bare functions wrapped in a default ``Method``."""
        return [m if isinstance(m, Method) else Method(m) for m in self.methods]
