"""How the values a JSON Schema accepts moved between two versions of it: the walk behind
`openrpc_diff`.

`SchemaWalk.compare` walks an old and a new schema side by side, resolving `$ref`s into each
one's own document, and returns a `Gap` per difference, each saying which way the accepted
values moved. Whether that breaks anyone is the caller's to say: a param that accepts less
breaks callers, a result that may hold more breaks readers.

The walk knows the keywords pydantic writes. Any other keyword that differs is a `CHANGED`
gap, so a difference it does not understand is never taken for a safe one.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import orjson

Schema = Mapping[str, Any] | bool


class Shift(enum.StrEnum):
    """Which way the accepted values moved."""

    NARROWED = "narrowed"
    """The new schema refuses some value the old one accepted."""
    WIDENED = "widened"
    """The new schema accepts some value the old one refused."""
    CHANGED = "changed"
    """Both, or a difference the walk cannot place."""
    ADDED = "added"
    """A new optional property, or extra properties let in: what a reader may ignore."""


@dataclass(frozen=True, slots=True)
class Gap:
    shift: Shift
    path: str
    """Below the schema compared: `""`, `.name` (a property), `[]` (array items), `{}` (extra
    properties' values), `<label>` (one branch of a union)."""
    what: str


class SchemaError(ValueError):
    """A `$ref` that points nowhere in its document, or only at other refs."""


_ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "examples",
        "example",
        "deprecated",
        "readOnly",
        "writeOnly",
        "$comment",
        "$schema",
        "$id",
        "discriminator",
        "$defs",
        "definitions",
    }
)
"""Keywords that accept or refuse nothing (`discriminator` only says how to pick a branch)."""
_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_PRESENCE = ("pattern", "format", "multipleOf", "uniqueItems")
_HANDLED = frozenset(
    {
        "$ref",
        "anyOf",
        "oneOf",
        "type",
        "enum",
        "const",
        "items",
        "prefixItems",
        "properties",
        "required",
        "additionalProperties",
        "default",
        *_LOWER,
        *_UPPER,
        *_PRESENCE,
    }
)
_LINKED = frozenset(
    {"properties", "patternProperties", "additionalProperties", "items", "prefixItems"}
    | {"if", "then", "else", "contains", "unevaluatedItems", "unevaluatedProperties"}
)
"""Keywords whose meaning depends on others in the same schema object."""
_REF_HOPS = 64
Report = Callable[[Shift, str], None]
"""How the keyword checks below report a gap at the place being compared."""


class _Document:
    """Resolves `$ref`s (local JSON pointers) in one document."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._document = document

    def resolve(self, node: Mapping[str, Any]) -> tuple[Mapping[str, Any], str | None]:
        """The schema a node stands for, its siblings of `$ref` kept; and the first ref."""
        first = node.get("$ref")
        hops = 0
        while isinstance(ref := node.get("$ref"), str):
            hops += 1
            if hops > _REF_HOPS:
                raise SchemaError(f"{first}: refs lead only to refs")
            siblings = {key: value for key, value in node.items() if key != "$ref"}
            target = self.pointer(ref)
            if target is True:
                target = {}
            if not isinstance(target, Mapping):
                raise SchemaError(f"{ref} is not a schema")
            node = _conjoin(target, siblings)
        return node, first if isinstance(first, str) else None

    def pointer(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise SchemaError(f"{ref}: only refs within the document are followed")
        node: Any = self._document
        for part in ref[1:].split("/")[1:]:
            key = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                raise SchemaError(f"{ref} points nowhere in the document")
        return node


class SchemaWalk:
    """Compares schemas of an old document with those of a new one.

    `defaults`: whether a changed `default` is a gap (it is for params, where it changes what
    an omitted value means; a result's defaults describe nothing a reader sees).
    """

    def __init__(
        self, old: Mapping[str, Any], new: Mapping[str, Any], *, defaults: bool = True
    ) -> None:
        self._old = _Document(old)
        self._new = _Document(new)
        self._defaults = defaults
        self._seen: set[tuple[bool, object, object]] = set()
        self._flipped = False
        """Whether `_old` is the new document: in a trial asking if new fits within old."""

    def compare(self, old: Schema, new: Schema) -> list[Gap]:
        """Every difference between the two schemas, each with the way it moved."""
        self._seen = set()
        gaps: list[Gap] = []
        self._schema(old, new, "", gaps)
        return gaps

    def _schema(self, old: Schema, new: Schema, path: str, gaps: list[Gap]) -> None:
        if isinstance(old, bool) or isinstance(new, bool):
            self._booleans(old, new, path, gaps)
            return
        old_node, new_node = old, new
        old, old_ref = self._old.resolve(old)
        new, new_ref = self._new.resolve(new)
        if old_ref is not None or new_ref is not None:
            # The cycle guard: a pair of refs met again is being (or was) compared already.
            key = (self._flipped, old_ref or _key(old_node), new_ref or _key(new_node))
            if key in self._seen:
                return
            self._seen.add(key)
        if self._defaults and "default" in old and "default" in new:
            was, now = old["default"], new["default"]
            if _key(was) != _key(now):
                gaps.append(Gap(Shift.CHANGED, path, f"default {_show(was)} → {_show(now)}"))
        old, old_branches = self._content(old, self._old)
        new, new_branches = self._content(new, self._new)
        if old_branches is None and new_branches is None:
            self._keywords(old, new, path, gaps)
        else:
            self._union(old_branches or [old], new_branches or [new], path, gaps)

    def _booleans(self, old: Schema, new: Schema, path: str, gaps: list[Gap]) -> None:
        # `true` accepts anything, like `{}`; `false` accepts nothing.
        if old is False and new is not False:
            gaps.append(Gap(Shift.WIDENED, path, "now accepts values (it accepted none)"))
        elif new is False and old is not False:
            gaps.append(Gap(Shift.NARROWED, path, "no longer accepts any value"))
        elif old is not False and new is not False:
            self._schema({} if old is True else old, {} if new is True else new, path, gaps)

    def _content(
        self, schema: Mapping[str, Any], document: _Document
    ) -> tuple[Mapping[str, Any], list[Schema] | None]:
        """The keywords that constrain; and a union's branches, flattened, each with the
        keywords beside the union folded in (None for a schema that is no union)."""
        content = {
            key: value
            for key, value in schema.items()
            if key not in _ANNOTATIONS and key != "default" and not key.startswith("x-")
        }
        all_of = content.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], Mapping):
            del content["allOf"]
            content = dict(_conjoin(document.resolve(all_of[0])[0], content))
        union_key = "anyOf" if "anyOf" in content else "oneOf" if "oneOf" in content else None
        if union_key is not None and isinstance(content[union_key], list):
            rest = {key: value for key, value in content.items() if key != union_key}
            flat: list[Schema] = []
            for branch in content[union_key]:
                merged = _conjoin(rest, branch) if rest and isinstance(branch, Mapping) else branch
                nested = None
                if isinstance(merged, Mapping) and "$ref" not in merged:
                    nested = self._content(merged, document)[1]  # a union in a union
                flat.extend(nested if nested is not None else [merged])
            return content, flat
        kinds = content.get("type")
        if isinstance(kinds, list) and len(kinds) != 1:
            return content, [{**content, "type": kind} for kind in kinds]
        if isinstance(kinds, list):
            content["type"] = kinds[0]
        return content, None

    def _union(
        self, olds: Sequence[Schema], news: Sequence[Schema], path: str, gaps: list[Gap]
    ) -> None:
        old_left = list(range(len(olds)))
        new_left = list(range(len(news)))
        pairs: list[tuple[int, int]] = []
        for i in list(old_left):  # the same branch: the same model, type or constant
            key = _branch_key(olds[i])
            match = next((j for j in new_left if _branch_key(news[j]) == key), None)
            if match is not None:
                pairs.append((i, match))
                old_left.remove(i)
                new_left.remove(match)
        # Gone or new only in name: an integer branch is covered by a number one, and so on.
        old_left = [i for i in old_left if not any(self._within(olds[i], n) for n in news)]
        new_left = [j for j in new_left if not any(self._within(news[j], o, True) for o in olds)]
        for i in list(old_left):  # the same kind of value, changed: compare them as one
            kind = self._old_kind(olds[i])
            match = next((j for j in new_left if kind and self._new_kind(news[j]) == kind), None)
            if match is not None:
                pairs.append((i, match))
                old_left.remove(i)
                new_left.remove(match)
        for i, j in sorted(pairs):
            self._schema(olds[i], news[j], f"{path}<{_label(olds[i])}>", gaps)
        for i in old_left:
            gaps.append(Gap(Shift.NARROWED, path, f"{_label(olds[i])} removed from the union"))
        for j in new_left:
            gaps.append(Gap(Shift.WIDENED, path, f"{_label(news[j])} added to the union"))

    def _within(self, inner: Schema, outer: Schema, inner_is_new: bool = False) -> bool:
        """Whether `outer` accepts all that `inner` does (the two from opposite documents)."""
        trial = copy.copy(self)
        trial._defaults = False
        # Its own pairs do not count as compared; those being compared hold as assumptions
        # (each is judged where it is compared), so a union that refers to itself ends.
        trial._seen = set(self._seen)
        if inner_is_new:
            trial._old, trial._new = self._new, self._old
            trial._flipped = not self._flipped
        gaps: list[Gap] = []
        trial._schema(inner, outer, "", gaps)
        return all(gap.shift in (Shift.WIDENED, Shift.ADDED) for gap in gaps)

    def _old_kind(self, schema: Schema) -> object:
        return _kind(self._old.resolve(schema)[0]) if isinstance(schema, Mapping) else None

    def _new_kind(self, schema: Schema) -> object:
        return _kind(self._new.resolve(schema)[0]) if isinstance(schema, Mapping) else None

    def _keywords(
        self, old: Mapping[str, Any], new: Mapping[str, Any], path: str, gaps: list[Gap]
    ) -> None:
        def gap(shift: Shift, what: str) -> None:
            gaps.append(Gap(shift, path, what))

        if not _types(old.get("type"), new.get("type"), gap):
            return  # different kinds of value: their other keywords do not compare
        _enums(_enum(old), _enum(new), gap)
        for keyword in (*_LOWER, *_UPPER):
            _bound(keyword, old.get(keyword), new.get(keyword), gap)
        for keyword in _PRESENCE:
            _presence(keyword, old.get(keyword), new.get(keyword), gap)
        if "items" in old or "items" in new:
            self._schema(old.get("items", True), new.get("items", True), f"{path}[]", gaps)
        self._prefix_items(old.get("prefixItems"), new.get("prefixItems"), path, gaps)
        self._object(old, new, path, gaps)
        for keyword in sorted((old.keys() | new.keys()) - _HANDLED - _ANNOTATIONS):
            if not keyword.startswith("x-") and _key(old.get(keyword)) != _key(new.get(keyword)):
                gap(Shift.CHANGED, f"{keyword} changed")

    def _prefix_items(self, old: Any, new: Any, path: str, gaps: list[Gap]) -> None:
        if old is None and new is None:
            return
        if not isinstance(old, list) or not isinstance(new, list) or len(old) != len(new):
            gaps.append(Gap(Shift.CHANGED, path, "prefixItems changed"))
            return
        for index, (old_item, new_item) in enumerate(zip(old, new, strict=True)):
            self._schema(old_item, new_item, f"{path}[{index}]", gaps)

    def _object(
        self, old: Mapping[str, Any], new: Mapping[str, Any], path: str, gaps: list[Gap]
    ) -> None:
        old_props: Mapping[str, Any] = old.get("properties", {})
        new_props: Mapping[str, Any] = new.get("properties", {})
        old_required = set(old.get("required", ()))
        new_required = set(new.get("required", ()))
        for name, schema in old_props.items():
            if name in new_props:
                self._schema(schema, new_props[name], f"{path}.{name}", gaps)
            else:
                # Callers' values for it are now ignored or refused; readers lose it.
                gaps.append(Gap(Shift.CHANGED, path, f"property {name} removed"))
        for name in new_props:
            if name in old_props:
                continue
            if name in new_required:
                gaps.append(Gap(Shift.NARROWED, path, f"new required property {name}"))
            else:
                gaps.append(Gap(Shift.ADDED, path, f"new optional property {name}"))
        kept = (old_props.keys() & new_props.keys()) | (
            (old_required | new_required) - old_props.keys() - new_props.keys()
        )
        for name in sorted(kept & (new_required - old_required)):
            gaps.append(Gap(Shift.NARROWED, path, f"property {name} now required"))
        for name in sorted(kept & (old_required - new_required)):
            gaps.append(Gap(Shift.WIDENED, path, f"property {name} no longer required"))
        if "additionalProperties" not in old and "additionalProperties" not in new:
            return
        old_extra = old.get("additionalProperties", True)
        new_extra = new.get("additionalProperties", True)
        if old_extra is False and new_extra is not False:
            gaps.append(Gap(Shift.ADDED, path, "additionalProperties opened"))
        elif new_extra is False and old_extra is not False:
            gaps.append(Gap(Shift.NARROWED, path, "additionalProperties closed"))
        elif old_extra is not False:
            self._schema(old_extra, new_extra, f"{path}{{}}", gaps)


def _types(old: Any, new: Any, gap: Report) -> bool:
    """Compare `type`; False where the kinds differ so much that nothing else compares."""
    if _key(old) == _key(new):
        return True
    if old is None:
        gap(Shift.NARROWED, f"type limited to {_show(new)}")
    elif new is None:
        gap(Shift.WIDENED, f"type {_show(old)} no longer required")
    elif (old, new) == ("integer", "number"):
        gap(Shift.WIDENED, "type integer → number")
    elif (old, new) == ("number", "integer"):
        gap(Shift.NARROWED, "type number → integer")
    else:
        gap(Shift.CHANGED, f"type {_show(old)} → {_show(new)}")
        return False
    return True


def _enum(schema: Mapping[str, Any]) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    values = schema.get("enum")
    return list(values) if isinstance(values, list) else None


def _enums(old: list[Any] | None, new: list[Any] | None, gap: Report) -> None:
    if old is None and new is None:
        return
    if old is None:
        gap(Shift.NARROWED, f"limited to {_show(new)}")
    elif new is None:
        gap(Shift.WIDENED, f"no longer limited to {_show(old)}")
    else:
        old_keys = {_key(value) for value in old}
        new_keys = {_key(value) for value in new}
        for value in old:
            if _key(value) not in new_keys:
                gap(Shift.NARROWED, f"enum value {_show(value)} removed")
        for value in new:
            if _key(value) not in old_keys:
                gap(Shift.WIDENED, f"enum value {_show(value)} added")


def _bound(keyword: str, old: Any, new: Any, gap: Report) -> None:
    if old is None and new is None:
        return
    if old is None:
        gap(Shift.NARROWED, f"{keyword} {_show(new)} added")
    elif new is None:
        gap(Shift.WIDENED, f"{keyword} {_show(old)} removed")
    elif not _number(old) or not _number(new):
        if _key(old) != _key(new):
            gap(Shift.CHANGED, f"{keyword} {_show(old)} → {_show(new)}")
    elif old != new:
        tighter = new > old if keyword in _LOWER else new < old
        gap(Shift.NARROWED if tighter else Shift.WIDENED, f"{keyword} {old} → {new}")


def _presence(keyword: str, old: Any, new: Any, gap: Report) -> None:
    """Keywords that only refuse: adding one narrows, dropping one widens."""
    if old is False:
        old = None  # `uniqueItems: false` is no constraint
    if new is False:
        new = None
    if old is None and new is None:
        return
    if old is None:
        gap(Shift.NARROWED, f"{keyword} {_show(new)} added")
    elif new is None:
        gap(Shift.WIDENED, f"{keyword} {_show(old)} removed")
    elif _key(old) != _key(new):
        shift = Shift.CHANGED
        if keyword == "multipleOf" and _number(old) and _number(new) and old and new:
            ratio = Fraction(str(old)) / Fraction(str(new))
            if ratio.denominator == 1:
                shift = Shift.WIDENED  # every multiple of the old step is one of the new
            elif ratio.numerator == 1:
                shift = Shift.NARROWED
        gap(shift, f"{keyword} {_show(old)} → {_show(new)}")


def _conjoin(first: Mapping[str, Any], second: Mapping[str, Any]) -> Mapping[str, Any]:
    """A schema that takes what both take: their keywords in one, where that means the same
    (no keyword set two ways, and only one of them with keywords that read each other's, as
    `additionalProperties` reads `properties`), else an `allOf` of the two."""
    clash = any(
        key in second and key not in _ANNOTATIONS and _key(first[key]) != _key(second[key])
        for key in first
    )
    if clash or (first.keys() & _LINKED and second.keys() & _LINKED):
        return {"allOf": [first, second]}
    return {**first, **second}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _kind(schema: Mapping[str, Any]) -> object:
    kind = schema.get("type")
    return _key(kind) if kind is not None else None


def _branch_key(branch: Schema) -> object:
    if isinstance(branch, bool):
        return branch
    if isinstance(ref := branch.get("$ref"), str):
        return ("ref", ref.rsplit("/", 1)[-1])
    values = _enum(branch)
    if values is not None and len(values) == 1:
        return ("const", _key(values[0]))
    if isinstance(kind := branch.get("type"), str):
        return ("type", kind)
    return ("schema", _key(branch))


def _label(branch: Schema) -> str:
    key = _branch_key(branch)
    if isinstance(key, tuple) and key[0] in ("ref", "type"):
        return str(key[1])
    if isinstance(key, tuple) and key[0] == "const" and isinstance(branch, Mapping):
        values = _enum(branch)
        return _show(values[0] if values else None)
    return _show(branch)


def _key(value: Any) -> object:
    """A value as JSON Schema compares it: 1 and 1.0 alike, `true` and 1 apart."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, Mapping | list):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return (type(value) is bool, value)


def _show(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
