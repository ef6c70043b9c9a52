"""The method registry: every declared method, compiled once at start-up.

Compiling checks what would otherwise fail per call or drift silently: names follow
``namespace.snake_case``, ``rpc.*`` stays reserved, every parameter and result is typed,
no two domain errors share a code, and a deprecated method's replacement exists.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, get_type_hints

from app.rpc.context import CallContext
from app.rpc.errors import RESERVED_CODES, DomainError
from app.rpc.namespace import Handler, Method, Namespace
from app.rpc.params import Binder, build_binder

RESERVED_NAMESPACE = "rpc"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Entry:
    """A registered method, ready to dispatch and to describe."""

    name: str
    func: Handler
    binder: Binder
    declared: Method
    summary: str
    description: str
    result_type: Any
    scope: str | None
    """What a caller must hold; None only for the engine's own ``rpc.*`` methods."""


class RegistryError(ValueError):
    """A namespace declaration the server refuses to start with."""


class Registry:
    """All methods by full name, in declaration order."""

    def __init__(
        self,
        namespaces: Iterable[Namespace],
        injectable: Collection[type] = (),
        refused: Mapping[type, str] = MappingProxyType({}),
    ) -> None:
        self._injectable = (*injectable, CallContext)
        self._refused = refused
        self._entries: dict[str, Entry] = {}
        self._codes: dict[int, type[DomainError]] = {}
        for namespace in namespaces:
            if namespace.name == RESERVED_NAMESPACE:
                raise RegistryError(f"the {RESERVED_NAMESPACE}.* namespace is reserved")
            self._add_namespace(namespace)
        self._check_replacements()

    def add_builtin(self, method: Method) -> None:
        """Register a method of the reserved ``rpc.*`` namespace (engine use only)."""
        self._add(RESERVED_NAMESPACE, method)

    def get(self, name: str) -> Entry | None:
        return self._entries.get(name)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def names(self) -> list[str]:
        return list(self._entries)

    @property
    def scopes(self) -> frozenset[str]:
        """Every scope some method needs."""
        return frozenset(entry.scope for entry in self._entries.values() if entry.scope)

    @property
    def deprecated(self) -> dict[str, str]:
        """Each deprecated method, with the one to use instead ("" where none is named)."""
        return {
            entry.name: entry.declared.replaced_by
            for entry in self._entries.values()
            if entry.declared.deprecated
        }

    @property
    def errors(self) -> dict[int, type[DomainError]]:
        """Every declared domain error, by code."""
        return dict(sorted(self._codes.items()))

    def _add_namespace(self, namespace: Namespace) -> None:
        if not _NAME.match(namespace.name):
            raise RegistryError(f"namespace {namespace.name!r} is not snake_case")
        scope = namespace.scope or namespace.name
        for method in namespace.declared():
            self._add(namespace.name, method, method.scope or scope)

    def _add(self, namespace: str, method: Method, scope: str | None = None) -> None:
        short = method.name or method.func.__name__
        name = f"{namespace}.{short}"
        if not _NAME.match(short):
            raise RegistryError(f"method {name!r} is not namespace.snake_case")
        if name in self._entries:
            raise RegistryError(f"method {name!r} is declared twice")
        if type(method.cost) is not int or method.cost < 1:
            raise RegistryError(f"{name}: cost must be a whole number of at least 1")
        if not inspect.iscoroutinefunction(method.func):
            raise RegistryError(f"{name}: handlers must be `async def`")
        for error in method.errors:
            self._add_error(name, error)
        try:
            binder = build_binder(
                method.func,
                name,
                self._injectable,
                refused=self._refused,
                redact_values=method.redact_values,
            )
        except TypeError as exc:
            raise RegistryError(str(exc)) from exc
        summary, _, description = inspect.cleandoc(method.func.__doc__ or "").partition("\n")
        self._entries[name] = Entry(
            name=name,
            func=method.func,
            binder=binder,
            declared=method,
            summary=summary.strip(),
            description=description.strip(),
            result_type=get_type_hints(method.func, include_extras=True)["return"],
            scope=scope,
        )

    def _check_replacements(self) -> None:
        # Once every namespace is in, so a replacement may live in any of them.
        for name, entry in self._entries.items():
            replaced_by = entry.declared.replaced_by
            if not replaced_by:
                continue
            if not entry.declared.deprecated:
                raise RegistryError(f"{name}: replaced_by is set, so it needs deprecated=True")
            replacement = self._entries.get(replaced_by)
            if replacement is None:
                raise RegistryError(f"{name}: replaced_by names {replaced_by!r}, no such method")
            if replacement.declared.deprecated:
                raise RegistryError(
                    f"{name}: replaced_by names {replaced_by!r}, which is deprecated too: "
                    "name the method that replaces it"
                )

    def _add_error(self, method: str, error: type[DomainError]) -> None:
        code = getattr(error, "code", None)
        if not isinstance(code, int) or code in RESERVED_CODES:
            raise RegistryError(f"{method}: {error.__name__} needs a code outside -32768..-32000")
        other = self._codes.setdefault(code, error)
        if other is not error:
            raise RegistryError(f"{error.__name__} and {other.__name__} share the code {code}")
