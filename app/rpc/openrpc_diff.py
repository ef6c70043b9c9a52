"""What changed between two OpenRPC documents, and whether it breaks clients written for the
old one; and the version rule that goes with it.

A change is **breaking** where a client that worked with the old document can fail with the
new one: a method, param or error code removed, a param renamed, moved (for positional
calls) or made required, a param that accepts less, a result that may hold what it never
held, a narrower `paramStructure`, a new scope. Anything else is **additive**: new methods,
optional params and error codes, wider params, narrower results, deprecations.

Params and results move opposite ways. A param that accepts more (`int` to `int | None`)
breaks nobody, but a result that may hold more (a `null`, a new enum value) breaks a reader
that trusted the old schema; a result that holds less breaks nobody. A new property of a
result is additive either way: readers ignore what they do not know.

Schemas are compared after resolving each `$ref` into its own document (see `schema_diff`).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.rpc.schema_diff import SchemaError, SchemaWalk, Shift


class Kind(enum.StrEnum):
    BREAKING = "breaking"
    ADDITIVE = "additive"


@dataclass(frozen=True, slots=True)
class Change:
    kind: Kind
    method: str
    what: str

    def __str__(self) -> str:
        return f"{self.kind} {self.method}: {self.what}"


class DocumentError(ValueError):
    """A document this module cannot read as OpenRPC."""


_PARAMS = {
    Shift.NARROWED: Kind.BREAKING,
    Shift.WIDENED: Kind.ADDITIVE,
    Shift.CHANGED: Kind.BREAKING,
    Shift.ADDED: Kind.ADDITIVE,
}
"""What a param's schema change means to callers, who send values to it."""
_RESULT = {
    Shift.NARROWED: Kind.ADDITIVE,
    Shift.WIDENED: Kind.BREAKING,
    Shift.CHANGED: Kind.BREAKING,
    Shift.ADDED: Kind.ADDITIVE,
}
"""What a result's schema change means to readers, who take values from it."""
_BY_NAME, _EITHER = "by-name", "either"


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every change from `old` to `new`: methods in the old order, then the new ones."""
    try:
        return _Diff(old, new).methods()
    except SchemaError as error:
        raise DocumentError(str(error)) from error


def breaking(changes: Iterable[Change]) -> list[Change]:
    return [change for change in changes if change.kind is Kind.BREAKING]


_SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+.*)?")


def release(version: str) -> tuple[int, int, int]:
    """The major, minor and patch of a semantic version; ValueError if it is not one."""
    match = _SEMVER.fullmatch(version)
    if match is None:
        raise ValueError(f"{version!r} is not a semantic version such as 1.4.2")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def allows_breaking(old: str, new: str) -> bool:
    """Whether going from version `old` to `new` may break clients: a new major release.

    Under 1.0 that is the first non-zero part, as Cargo's caret requirements read semver:
    0.1.x to 0.2.0 is a major step (as 1.x to 2.0 is), and so is 0.0.3 to 0.0.4.
    """
    was, now = release(old), release(new)
    if now <= was:
        return False
    lead = next((index for index, part in enumerate(was) if part), 2)
    return now[: lead + 1] != was[: lead + 1]


def next_major(version: str) -> str:
    """The first version after `version` that `allows_breaking` (0.1.4 gives 0.2.0)."""
    parts = list(release(version))
    lead = next((index for index, part in enumerate(parts) if part), 2)
    parts[lead] += 1
    parts[lead + 1 :] = [0] * (2 - lead)
    return ".".join(map(str, parts))


def summary(changes: Sequence[Change], old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """One line on the whole: how many changes of each kind, and what the version says."""
    was, now = _version(old), _version(new)
    if not changes:
        return f"no changes since {was} (now {now})"
    broken = len(breaking(changes))
    count = f"{len(changes)} change" + ("s" if len(changes) != 1 else "")
    line = f"{count} since {was} (now {now}): {broken} breaking, "
    line += f"{len(changes) - broken} additive"
    try:
        if broken and not allows_breaking(was, now):
            line += f"; breaking changes need a new major version, such as {next_major(was)}"
    except ValueError:
        pass  # a version that is not semver: nothing to advise
    return line


def _version(document: Mapping[str, Any]) -> str:
    info = document.get("info")
    version = info.get("version") if isinstance(info, Mapping) else None
    return version if isinstance(version, str) else "an unversioned document"


class _Diff:
    def __init__(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        self._old_doc, self._new_doc = old, new
        self._params = SchemaWalk(old, new, defaults=True)
        self._results = SchemaWalk(old, new, defaults=False)
        self._changes: list[Change] = []
        self._method = ""

    def methods(self) -> list[Change]:
        old = _methods(self._old_doc)
        new = _methods(self._new_doc)
        for name, method in old.items():
            self._method = name
            if name in new:
                self._compare(method, new[name])
            else:
                note = " (it was deprecated)" if method.get("deprecated") else ""
                self._add(Kind.BREAKING, f"method removed{note}")
        for name in new:
            if name not in old:
                self._method = name
                self._add(Kind.ADDITIVE, "new method")
        return self._changes

    def _add(self, kind: Kind, what: str) -> None:
        self._changes.append(Change(kind, self._method, what))

    def _compare(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        old_structure = old.get("paramStructure", _EITHER)
        new_structure = new.get("paramStructure", _EITHER)
        self._structure(old_structure, new_structure)
        positional = _BY_NAME not in (old_structure, new_structure)  # order matters to both
        self._param_list(
            self._list(self._old_doc, old, "params"),
            self._list(self._new_doc, new, "params"),
            positional,
        )
        self._result(old.get("result"), new.get("result"))
        self._errors(
            self._list(self._old_doc, old, "errors"), self._list(self._new_doc, new, "errors")
        )
        self._deprecation(old, new)
        self._scopes(_scopes(old), _scopes(new))

    def _structure(self, old: str, new: str) -> None:
        if old != new:
            kind = Kind.ADDITIVE if new == _EITHER else Kind.BREAKING
            self._add(kind, f"paramStructure {old} → {new}")

    def _param_list(
        self,
        old: Sequence[Mapping[str, Any]],
        new: Sequence[Mapping[str, Any]],
        positional: bool,
    ) -> None:
        old_names = [_name(param) for param in old]
        new_names = [_name(param) for param in new]
        renamed: set[str] = set()
        for index, (name, param) in enumerate(zip(old_names, old, strict=True)):
            if name in new_names:
                self._param(name, param, new[new_names.index(name)])
                moved_to = new_names.index(name)
                if positional and moved_to != index:
                    self._add(
                        Kind.BREAKING,
                        f"param {name} moved from position {index + 1} to {moved_to + 1}",
                    )
            elif index < len(new_names) and new_names[index] not in old_names:
                renamed.add(new_names[index])
                self._add(Kind.BREAKING, f"param {name} renamed to {new_names[index]}")
            else:
                self._add(Kind.BREAKING, f"param {name} removed")
        for name, param in zip(new_names, new, strict=True):
            if name in old_names or name in renamed:
                continue
            if param.get("required", False):
                self._add(Kind.BREAKING, f"new required param {name}")
            else:
                self._add(Kind.ADDITIVE, f"new optional param {name}")

    def _param(self, name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        was, now = bool(old.get("required", False)), bool(new.get("required", False))
        if not was and now:
            self._add(Kind.BREAKING, f"param {name} made required")
        elif was and not now:
            self._add(Kind.ADDITIVE, f"param {name} made optional")
        for gap in self._params.compare(_schema(old), _schema(new)):
            self._add(_PARAMS[gap.shift], f"param {name}{gap.path}: {gap.what}")

    def _result(self, old: Any, new: Any) -> None:
        if old is None and new is None:
            return
        if new is None:
            self._add(Kind.BREAKING, "result removed")
            return
        if old is None:
            self._add(Kind.ADDITIVE, "result added")
            return
        old_result = _resolve(self._old_doc, old, "result")
        new_result = _resolve(self._new_doc, new, "result")
        for gap in self._results.compare(_schema(old_result), _schema(new_result)):
            self._add(_RESULT[gap.shift], f"result{gap.path}: {gap.what}")

    def _errors(self, old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> None:
        old_codes = {error.get("code"): error for error in old}
        new_codes = {error.get("code"): error for error in new}
        for code, error in old_codes.items():
            if code not in new_codes:
                self._add(Kind.BREAKING, f"error {code} ({error.get('message', '')}) removed")
        for code, error in new_codes.items():
            if code not in old_codes:
                self._add(Kind.ADDITIVE, f"new error {code} ({error.get('message', '')})")

    def _deprecation(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        was, now = bool(old.get("deprecated")), bool(new.get("deprecated"))
        replacement = new.get("x-replaced-by")
        if now and not was:
            use = f": use {replacement}" if replacement else ""
            self._add(Kind.ADDITIVE, f"deprecated{use}")
        elif was and not now:
            self._add(Kind.ADDITIVE, "no longer deprecated")
        elif now and replacement != old.get("x-replaced-by"):
            self._add(Kind.ADDITIVE, f"replaced by {replacement or 'nothing named'}")

    def _scopes(self, old: list[str], new: list[str]) -> None:
        # Keys that hold the old scope, and no more, are refused once the method asks another.
        if old != new:
            kind = Kind.ADDITIVE if not new else Kind.BREAKING
            self._add(kind, f"needs scope {', '.join(new) or 'none'} (was {', '.join(old)})")

    def _list(
        self, document: Mapping[str, Any], method: Mapping[str, Any], field: str
    ) -> list[Mapping[str, Any]]:
        items = method.get(field, [])
        if not isinstance(items, list):
            raise DocumentError(f"{self._method}: {field} is not a list")
        return [_resolve(document, item, f"{field} of {self._method}") for item in items]


def _methods(document: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    if not isinstance(document, Mapping) or not isinstance(document.get("methods"), list):
        raise DocumentError("not an OpenRPC document: it has no list of methods")
    methods: dict[str, Mapping[str, Any]] = {}
    for method in document["methods"]:
        method = _resolve(document, method, "a method")
        name = _name(method)
        if name in methods:
            raise DocumentError(f"{name} is declared twice")
        methods[name] = method
    return methods


def _resolve(document: Mapping[str, Any], item: Any, what: str) -> Mapping[str, Any]:
    """An OpenRPC object, or the one a reference object points at."""
    seen: set[str] = set()
    while isinstance(item, Mapping) and isinstance(ref := item.get("$ref"), str):
        if ref in seen or not ref.startswith("#/"):
            raise DocumentError(f"{what}: cannot follow {ref}")
        seen.add(ref)
        item = document
        for part in ref[2:].split("/"):
            key = part.replace("~1", "/").replace("~0", "~")
            if isinstance(item, list) and key.isdigit() and int(key) < len(item):
                item = item[int(key)]
            elif isinstance(item, Mapping) and key in item:
                item = item[key]
            else:
                raise DocumentError(f"{what}: {ref} points nowhere in the document")
    if not isinstance(item, Mapping):
        raise DocumentError(f"{what} is not an object")
    return item


def _name(item: Mapping[str, Any]) -> str:
    name = item.get("name")
    if not isinstance(name, str):
        raise DocumentError(f"an entry has no name: {dict(item)!r:.80}")
    return name


def _schema(descriptor: Mapping[str, Any]) -> Mapping[str, Any] | bool:
    schema = descriptor.get("schema", True)
    if not isinstance(schema, Mapping | bool):
        raise DocumentError(f"{descriptor.get('name')}: schema is not a JSON Schema")
    return schema


def _scopes(method: Mapping[str, Any]) -> list[str]:
    requirements = method.get("x-security", [])
    if not isinstance(requirements, list):
        return []
    return sorted(
        scope
        for requirement in requirements
        if isinstance(requirement, Mapping)
        for scopes in requirement.values()
        if isinstance(scopes, list)
        for scope in scopes
    )
