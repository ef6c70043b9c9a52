"""The schema walk behind `rpc-hub openrpc --diff`: each keyword's way of moving, `$ref`s
resolved in each document, cycles, and (by property) that what it calls safe is safe, checked
with jsonschema on concrete values."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from app.rpc.schema_diff import Gap, SchemaError, SchemaWalk, Shift

N, W, C, A = Shift.NARROWED, Shift.WIDENED, Shift.CHANGED, Shift.ADDED
INT = {"type": "integer"}
NUM = {"type": "number"}
STR = {"type": "string"}
NULL = {"type": "null"}


def gaps(old: Any, new: Any, *, defaults: bool = True) -> list[tuple[Shift, str, str]]:
    found = SchemaWalk({}, {}, defaults=defaults).compare(old, new)
    return [(gap.shift, gap.path, gap.what) for gap in found]


CASES: list[tuple[str, Any, Any, list[tuple[Shift, str, str]]]] = [
    ("same", INT, dict(INT), []),
    ("only words change", {**INT, "title": "A", "description": "x"}, {**INT, "title": "B"}, []),
    (
        "enum value removed",
        {"enum": ["C", "F"]},
        {"enum": ["C"]},
        [(N, "", 'enum value "F" removed')],
    ),
    ("enum value added", {"enum": ["C"]}, {"enum": ["C", "K"]}, [(W, "", 'enum value "K" added')]),
    ("const to enum", {"const": "a"}, {"enum": ["a", "b"]}, [(W, "", 'enum value "b" added')]),
    ("null let in", INT, {"anyOf": [INT, NULL]}, [(W, "", "null added to the union")]),
    ("null taken out", {"anyOf": [STR, NULL]}, STR, [(N, "", "null removed from the union")]),
    (
        "type list narrowed",
        {"type": ["string", "null"]},
        STR,
        [(N, "", "null removed from the union")],
    ),
    ("int | float to number", {"anyOf": [INT, NUM]}, NUM, []),
    ("number to int | float", NUM, {"anyOf": [INT, NUM]}, []),
    ("integer to number", INT, NUM, [(W, "", "type integer → number")]),
    ("number to integer", NUM, INT, [(N, "", "type number → integer")]),
    ("string to integer", STR, INT, [(C, "", 'type "string" → "integer"')]),
    ("type dropped", STR, {}, [(W, "", 'type "string" no longer required')]),
    (
        "maxLength tightened",
        {**STR, "maxLength": 40},
        {**STR, "maxLength": 20},
        [(N, "", "maxLength 40 → 20")],
    ),
    (
        "maxLength loosened",
        {**STR, "maxLength": 20},
        {**STR, "maxLength": 40},
        [(W, "", "maxLength 20 → 40")],
    ),
    ("minimum added", INT, {**INT, "minimum": 1}, [(N, "", "minimum 1 added")]),
    ("minimum dropped", {**INT, "minimum": 1}, INT, [(W, "", "minimum 1 removed")]),
    ("minimum raised", {**INT, "minimum": 0}, {**INT, "minimum": 1}, [(N, "", "minimum 0 → 1")]),
    ("pattern added", STR, {**STR, "pattern": "^a$"}, [(N, "", 'pattern "^a$" added')]),
    (
        "pattern changed",
        {**STR, "pattern": "^a$"},
        {**STR, "pattern": "^b$"},
        [(C, "", 'pattern "^a$" → "^b$"')],
    ),
    (
        "finer step",
        {**INT, "multipleOf": 4},
        {**INT, "multipleOf": 2},
        [(W, "", "multipleOf 4 → 2")],
    ),
    (
        "coarser step",
        {**INT, "multipleOf": 2},
        {**INT, "multipleOf": 4},
        [(N, "", "multipleOf 2 → 4")],
    ),
    (
        "items narrowed",
        {"type": "array", "items": NUM},
        {"type": "array", "items": INT},
        [(N, "[]", "type number → integer")],
    ),
    (
        "additionalProperties closed",
        {"type": "object", "properties": {"a": INT}},
        {"type": "object", "properties": {"a": INT}, "additionalProperties": False},
        [(N, "", "additionalProperties closed")],
    ),
    (
        "additionalProperties opened",
        {"type": "object", "additionalProperties": False},
        {"type": "object"},
        [(A, "", "additionalProperties opened")],
    ),
    (
        "map values narrowed",
        {"type": "object", "additionalProperties": NUM},
        {"type": "object", "additionalProperties": INT},
        [(N, "{}", "type number → integer")],
    ),
    (
        "property made required",
        {"type": "object", "properties": {"a": INT}},
        {"type": "object", "properties": {"a": INT}, "required": ["a"]},
        [(N, "", "property a now required")],
    ),
    (
        "property made optional",
        {"type": "object", "properties": {"a": INT}, "required": ["a"]},
        {"type": "object", "properties": {"a": INT}},
        [(W, "", "property a no longer required")],
    ),
    (
        "property removed",
        {"type": "object", "properties": {"a": INT, "b": INT}},
        {"type": "object", "properties": {"a": INT}},
        [(C, "", "property b removed")],
    ),
    (
        "optional property added",
        {"type": "object", "properties": {"a": INT}},
        {"type": "object", "properties": {"a": INT, "b": INT}},
        [(A, "", "new optional property b")],
    ),
    (
        "required property added",
        {"type": "object", "properties": {}},
        {"type": "object", "properties": {"b": INT}, "required": ["b"]},
        [(N, "", "new required property b")],
    ),
    (
        "nested property narrowed, path named",
        {"type": "object", "properties": {"p": {"anyOf": [{**STR, "maxLength": 9}, NULL]}}},
        {"type": "object", "properties": {"p": {"anyOf": [{**STR, "maxLength": 5}, NULL]}}},
        [(N, ".p<string>", "maxLength 9 → 5")],
    ),
    ("default changed", {**INT, "default": 1}, {**INT, "default": 2}, [(C, "", "default 1 → 2")]),
    ("unknown keyword changed", {"not": INT}, {"not": STR}, [(C, "", "not changed")]),
    ("false to true", False, True, [(W, "", "now accepts values (it accepted none)")]),
    ("anything to nothing", True, False, [(N, "", "no longer accepts any value")]),
]


@pytest.mark.parametrize(("why", "old", "new", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_keyword_moves_its_way(why: str, old: Any, new: Any, expected: Any) -> None:
    assert gaps(old, new) == expected


def test_defaults_count_only_where_asked() -> None:
    assert gaps({**INT, "default": 1}, {**INT, "default": 2}, defaults=False) == []


def components(**schemas: Any) -> dict[str, Any]:
    return {"components": {"schemas": schemas}}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def test_refs_resolve_each_in_its_own_document() -> None:
    old = components(Point={"type": "object", "properties": {"x": INT}})
    new = components(Place={"type": "object", "properties": {"x": NUM}})
    found = SchemaWalk(old, new).compare(ref("Point"), ref("Place"))
    assert found == [Gap(W, ".x", "type integer → number")]


def test_a_renamed_component_in_a_union_is_the_same_branch() -> None:
    shape = {"type": "object", "properties": {"r": NUM}, "required": ["r"]}
    old = components(Circle=shape)
    new = components(Round=copy.deepcopy(shape))
    walk = SchemaWalk(old, new)
    assert walk.compare({"anyOf": [ref("Circle"), NULL]}, {"anyOf": [ref("Round"), NULL]}) == []


def test_ref_siblings_apply_over_the_target() -> None:
    old = components(Priority={"enum": ["low", "high"], "type": "string"})
    walk = SchemaWalk(old, old)
    found = walk.compare(
        {**ref("Priority"), "default": "low"}, {**ref("Priority"), "default": "high"}
    )
    assert found == [Gap(C, "", 'default "low" → "high"')]


JSON_VALUE = {
    "anyOf": [
        {"type": "array", "items": ref("Json")},
        {"type": "object", "additionalProperties": ref("Json")},
        STR,
        NUM,
        {"type": "boolean"},
        NULL,
    ]
}


def test_recursive_schemas_end_and_their_changes_are_found() -> None:
    narrower = copy.deepcopy(JSON_VALUE)
    narrower["anyOf"][2] = {**STR, "maxLength": 10}
    assert (
        SchemaWalk(components(Json=JSON_VALUE), components(Json=JSON_VALUE)).compare(
            ref("Json"), ref("Json")
        )
        == []
    )
    found = SchemaWalk(components(Json=JSON_VALUE), components(Json=narrower)).compare(
        ref("Json"), ref("Json")
    )
    assert Gap(N, "<string>", "maxLength 10 added") in found
    assert {gap.shift for gap in found} == {N}


def test_a_recursive_schema_against_an_inline_one_ends() -> None:
    old = components(
        Tree={"type": "object", "properties": {"kids": {"type": "array", "items": ref("Tree")}}}
    )
    inline = {
        "type": "object",
        "properties": {"kids": {"type": "array", "items": {"type": "object"}}},
    }
    assert SchemaWalk(old, {}).compare(ref("Tree"), inline) == [
        Gap(C, ".kids[]", "property kids removed")  # the inline one stops a level down
    ]


def test_a_union_that_refers_to_itself_ends() -> None:
    document = components(Loose={"anyOf": [ref("Loose"), NULL]})
    assert SchemaWalk(document, document).compare(ref("Loose"), ref("Loose")) == []
    SchemaWalk(document, {}).compare(ref("Loose"), {"anyOf": [NULL, STR]})  # ends, too
    SchemaWalk({}, document).compare({"anyOf": [NULL, STR]}, ref("Loose"))


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        (ref("Missing"), "points nowhere"),
        ({"$ref": "https://example.com/s.json"}, "only refs within the document"),
        (ref("Loop"), "refs lead only to refs"),
    ],
)
def test_refs_that_lead_nowhere_are_errors(schema: Any, problem: str) -> None:
    document = components(Loop=ref("Loop"))
    with pytest.raises(SchemaError, match=problem):
        SchemaWalk(document, document).compare(schema, INT)


# Properties. Schemas come from a small grammar over a small world of values, so that plenty
# of the values below are valid under the schemas drawn; jsonschema then judges every claim.

KEYS = ["a", "b", "c"]
SCALARS: list[Any] = [
    None, True, False, -1, 0, 1, 2, 3, 4, 7, 2.5, "", "a", "ab", "ba", "aaa", "abab",
]  # fmt: skip
VALUES: list[Any] = [
    shape
    for value in SCALARS
    for shape in (value, [value], [value, 1], {"a": value}, {"b": value, "c": "a"}, {"c": [value]})
] + [[], {}, {"a": 1, "b": 2, "c": 3}, [[1, "a"], {"a": None}]]
"""Each scalar alone and in a few places, so that a change deep in a schema meets values
on both sides of it."""
leaf_schemas = st.one_of(
    st.just({}),
    st.sampled_from([INT, NUM, STR, NULL, {"type": "boolean"}]),
    st.builds(
        lambda lo, hi, pattern: {
            "type": "string",
            **({"minLength": lo} if lo is not None else {}),
            **({"maxLength": hi} if hi is not None else {}),
            **({"pattern": pattern} if pattern else {}),
        },
        st.none() | st.integers(0, 3),
        st.none() | st.integers(0, 4),
        st.sampled_from(["", "^a*$", "^[ab]*$"]),
    ),
    st.builds(
        lambda lo, hi, step: {
            "type": "integer",
            **({"minimum": lo} if lo is not None else {}),
            **({"maximum": hi} if hi is not None else {}),
            **({"multipleOf": step} if step else {}),
        },
        st.none() | st.integers(-1, 3),
        st.none() | st.integers(0, 7),
        st.sampled_from([0, 1, 2, 3]),
    ),
    st.lists(
        st.sampled_from([0, 1, 2, "a", "ab", None, True]), min_size=1, max_size=4, unique_by=repr
    ).map(lambda values: {"enum": values}),
)


def _compound(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    objects = st.builds(
        lambda props, required, closed: {
            "type": "object",
            "properties": props,
            **({"required": sorted(required & props.keys())} if required & props.keys() else {}),
            **({"additionalProperties": False} if closed else {}),
        },
        st.dictionaries(st.sampled_from(KEYS), children, max_size=3),
        st.sets(st.sampled_from(KEYS)),
        st.booleans(),
    )
    arrays = st.builds(
        lambda items, most: {
            "type": "array",
            "items": items,
            **({"maxItems": most} if most else {}),
        },
        children,
        st.sampled_from([0, 1, 2]),
    )
    unions = st.lists(children, min_size=2, max_size=3).map(lambda branches: {"anyOf": branches})
    return objects | arrays | unions


schemas = st.recursive(leaf_schemas, _compound, max_leaves=6)


BOUNDS = {
    "integer": ["minimum", "maximum", "exclusiveMinimum", "multipleOf"],
    "number": ["minimum", "maximum", "exclusiveMaximum"],
    "string": ["minLength", "maxLength"],
    "array": ["minItems", "maxItems"],
    "object": ["minProperties", "maxProperties"],
}
ANY_BOUND = [bound for bounds in BOUNDS.values() for bound in bounds]


def nodes(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A schema and every schema in it."""
    yield schema
    children = [*schema.get("anyOf", ()), *schema.get("properties", {}).values()]
    for child in [*children, schema.get("items", {})] if "items" in schema else children:
        yield from nodes(child)


@st.composite
def mutated(draw: st.DrawFn, schema: Any) -> Any:
    """`schema` with one change somewhere in it: a bound, an enum, a type, a branch, a
    property or a flag, added, removed or moved."""
    schema = copy.deepcopy(schema)
    node = draw(st.sampled_from(list(nodes(schema))))
    bounds = [keyword for keyword in ANY_BOUND if keyword in node]
    edits = ["bound", "type", "wrap", *(["move", "move", "unbound"] if bounds else [])]
    if "enum" in node:
        edits += ["enum"]
    if "anyOf" in node:
        edits += ["unwrap"]
    if node.get("type") == "object":
        edits += ["property", "required", "closed"]
    edit = draw(st.sampled_from(edits))
    if edit == "bound":
        keyword = draw(st.sampled_from(BOUNDS.get(node.get("type"), ANY_BOUND)))
        node[keyword] = draw(st.integers(1 if keyword == "multipleOf" else 0, 4))
    elif edit == "move":
        keyword = draw(st.sampled_from(bounds))
        moved = node[keyword] + draw(st.sampled_from([-2, -1, 1, 2]))
        node[keyword] = max(moved, 1 if keyword == "multipleOf" else 0)
    elif edit == "unbound":
        del node[draw(st.sampled_from(bounds))]
    elif edit == "type":
        node["type"] = draw(st.sampled_from(["integer", "number", "string", "null", "object"]))
    elif edit == "wrap":
        other = draw(leaf_schemas)
        inner = dict(node)
        node.clear()
        node["anyOf"] = [inner, other]
    elif edit == "unwrap":
        kept = draw(st.sampled_from(node["anyOf"]))
        node.clear()
        node.update(kept)
    elif edit == "enum":
        extra = draw(st.sampled_from([0, 1, 2, "a", "ab", None, True, 5, "z"]))
        values = node["enum"]
        if extra in values and len(values) > 1:
            values.remove(extra)
        elif extra not in values:
            values.append(extra)
    elif edit == "property":
        properties = node.setdefault("properties", {})
        key = draw(st.sampled_from(KEYS))
        if key in properties:
            del properties[key]
        else:
            properties[key] = draw(leaf_schemas)
    elif edit == "required":
        required = set(node.get("required", ()))
        required ^= {draw(st.sampled_from(KEYS))}
        node["required"] = sorted(required)
    else:
        node["additionalProperties"] = not node.get("additionalProperties", True)
    return schema


def valid(schema: Any, value: Any) -> bool:
    return bool(Draft202012Validator(schema).is_valid(value))


def accepted(schema: Any) -> list[bool]:
    validator = Draft202012Validator(schema)
    return [validator.is_valid(value) for value in VALUES]


def test_the_world_of_values_is_not_too_small_for_the_grammar() -> None:
    """The soundness property below says nothing unless some values pass each kind of schema."""
    for schema in [
        INT,
        STR,
        {"type": "object", "properties": {"a": INT}},
        {"type": "array", "items": INT},
    ]:
        assert any(valid(schema, value) for value in VALUES), schema


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schemas)
def test_a_schema_matches_itself(schema: Any) -> None:
    assert gaps(schema, copy.deepcopy(schema)) == []


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_what_the_walk_calls_wider_or_narrower_is(data: st.DataObject) -> None:
    """If every gap is a widening, each value the old schema takes the new one takes too; if
    every gap is a narrowing, the other way round; with no gap they agree on every value."""
    old = data.draw(schemas)
    new = data.draw(mutated(old))
    shifts = {gap.shift for gap in SchemaWalk({}, {}).compare(old, new)}
    for value, before, after in zip(VALUES, accepted(old), accepted(new), strict=True):
        if shifts <= {W}:
            assert not before or after, (value, shifts)
        if shifts <= {N}:
            assert not after or before, (value, shifts)
