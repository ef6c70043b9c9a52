"""`openrpc_diff`: each kind of change between two OpenRPC documents, found and judged
breaking or additive, on the served document and on small ones; and the version rule."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.rpc.openrpc_diff import (
    Change,
    DocumentError,
    Kind,
    allows_breaking,
    breaking,
    diff,
    next_major,
    release,
    summary,
)
from app.server import build_api
from app.settings import Settings

B, A = Kind.BREAKING, Kind.ADDITIVE


@cache
def _served() -> dict[str, Any]:
    return build_api(Settings())[1]


def served() -> dict[str, Any]:
    """A fresh copy of the document the server serves, to change at will."""
    return copy.deepcopy(_served())


def method(document: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(m for m in document["methods"] if m["name"] == name)
    return found


def changes(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[Kind, str, str]]:
    return [(change.kind, change.method, change.what) for change in diff(old, new)]


METHODS = [m["name"] for m in _served()["methods"]]
PARAMS = [(m["name"], p["name"]) for m in _served()["methods"] for p in m["params"]]
OPTIONAL = [
    (m["name"], p["name"]) for m in _served()["methods"] for p in m["params"] if not p["required"]
]


def test_the_served_document_has_no_changes_from_itself() -> None:
    assert diff(_served(), served()) == []


@given(st.sampled_from(METHODS))
def test_removing_any_method_is_breaking_and_adding_it_additive(name: str) -> None:
    fewer = served()
    fewer["methods"] = [m for m in fewer["methods"] if m["name"] != name]
    assert changes(served(), fewer) == [(B, name, "method removed")]
    assert changes(fewer, served()) == [(A, name, "new method")]


@given(st.sampled_from(PARAMS))
def test_removing_any_param_is_breaking(where: tuple[str, str]) -> None:
    name, param = where
    fewer = served()
    params = method(fewer, name)["params"]
    params[:] = [p for p in params if p["name"] != param]
    found = diff(served(), fewer)
    assert Change(B, name, f"param {param} removed") in found
    assert breaking(found) == found  # and any param after it moved, for positional calls


@given(st.sampled_from(PARAMS))
def test_a_param_the_old_document_lacked_is_breaking_only_if_required(
    where: tuple[str, str],
) -> None:
    name, param = where
    fewer = served()
    params = method(fewer, name)["params"]
    descriptor = next(p for p in params if p["name"] == param)
    params.remove(descriptor)
    found = changes(fewer, served())
    if descriptor["required"]:
        assert (B, name, f"new required param {param}") in found
    else:
        assert (A, name, f"new optional param {param}") in found


@given(st.sampled_from(OPTIONAL))
def test_making_any_optional_param_required_is_breaking(where: tuple[str, str]) -> None:
    name, param = where
    stricter = served()
    next(p for p in method(stricter, name)["params"] if p["name"] == param)["required"] = True
    assert (B, name, f"param {param} made required") in changes(served(), stricter)
    assert (A, name, f"param {param} made optional") in changes(stricter, served())


def doc(*methods: dict[str, Any], **schemas: Any) -> dict[str, Any]:
    return {
        "openrpc": "1.3.2",
        "info": {"title": "t", "version": "1.0.0"},
        "methods": list(methods),
        "components": {"schemas": schemas},
    }


INT = {"type": "integer"}
STR = {"type": "string"}


def m(
    name: str = "ns.go",
    params: list[dict[str, Any]] | None = None,
    result: Any = INT,
    **fields: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "params": params if params is not None else [],
        "result": {"name": "result", "schema": result},
    }
    return body | fields


def p(name: str, schema: Any = INT, required: bool = True) -> dict[str, Any]:
    return {"name": name, "required": required, "schema": schema}


CASES: list[tuple[str, dict[str, Any], dict[str, Any], list[tuple[Kind, str, str]]]] = [
    (
        "a param renamed",
        doc(m(params=[p("a"), p("b")])),
        doc(m(params=[p("a"), p("c")])),
        [(B, "ns.go", "param b renamed to c")],
    ),
    (
        "params reordered, for positional calls",
        doc(m(params=[p("a"), p("b")])),
        doc(m(params=[p("b"), p("a")])),
        [
            (B, "ns.go", "param a moved from position 1 to 2"),
            (B, "ns.go", "param b moved from position 2 to 1"),
        ],
    ),
    (
        "params reordered, by name only",
        doc(m(params=[p("a"), p("b")], paramStructure="by-name")),
        doc(m(params=[p("b"), p("a")], paramStructure="by-name")),
        [],
    ),
    (
        "an optional param added last",
        doc(m(params=[p("a")])),
        doc(m(params=[p("a"), p("b", required=False)])),
        [(A, "ns.go", "new optional param b")],
    ),
    (
        "paramStructure narrowed",
        doc(m(paramStructure="either")),
        doc(m(paramStructure="by-name")),
        [(B, "ns.go", "paramStructure either → by-name")],
    ),
    (
        "paramStructure widened (it defaults to either)",
        doc(m(paramStructure="by-position")),
        doc(m()),
        [(A, "ns.go", "paramStructure by-position → either")],
    ),
    (
        "a param's enum narrowed",
        doc(m(params=[p("u", {"enum": ["C", "F"]})])),
        doc(m(params=[p("u", {"enum": ["C"]})])),
        [(B, "ns.go", 'param u: enum value "F" removed')],
    ),
    (
        "a param's enum widened",
        doc(m(params=[p("u", {"enum": ["C"]})])),
        doc(m(params=[p("u", {"enum": ["C", "K"]})])),
        [(A, "ns.go", 'param u: enum value "K" added')],
    ),
    (
        "a param's default changed",
        doc(m(params=[p("n", {**INT, "default": 3}, required=False)])),
        doc(m(params=[p("n", {**INT, "default": 5}, required=False)])),
        [(B, "ns.go", "param n: default 3 → 5")],
    ),
    (
        "a param's model closed",
        doc(m(params=[p("card", {"type": "object", "properties": {"n": STR}})])),
        doc(
            m(
                params=[
                    p(
                        "card",
                        {"type": "object", "properties": {"n": STR}, "additionalProperties": False},
                    )
                ]
            )
        ),
        [(B, "ns.go", "param card: additionalProperties closed")],
    ),
    (
        "a result that may now be null",
        doc(m(result=INT)),
        doc(m(result={"anyOf": [INT, {"type": "null"}]})),
        [(B, "ns.go", "result: null added to the union")],
    ),
    (
        "a result that can no longer be null",
        doc(m(result={"anyOf": [INT, {"type": "null"}]})),
        doc(m(result=INT)),
        [(A, "ns.go", "result: null removed from the union")],
    ),
    (
        "a result's type changed",
        doc(m(result=INT)),
        doc(m(result=STR)),
        [(B, "ns.go", 'result: type "integer" → "string"')],
    ),
    (
        "a result property removed",
        doc(
            m(result={"$ref": "#/components/schemas/R"}),
            R={"type": "object", "properties": {"a": INT, "b": INT}},
        ),
        doc(
            m(result={"$ref": "#/components/schemas/R"}),
            R={"type": "object", "properties": {"a": INT}},
        ),
        [(B, "ns.go", "result: property b removed")],
    ),
    (
        "a result property added to a closed model",
        doc(m(result={"type": "object", "properties": {"a": INT}, "additionalProperties": False})),
        doc(
            m(
                result={
                    "type": "object",
                    "properties": {"a": INT, "b": INT},
                    "additionalProperties": False,
                }
            )
        ),
        [(A, "ns.go", "result: new optional property b")],
    ),
    (
        "a result's enum value added",
        doc(m(result={"enum": ["open"]})),
        doc(m(result={"enum": ["open", "lost"]})),
        [(B, "ns.go", 'result: enum value "lost" added')],
    ),
    (
        "a result's defaults say nothing to readers",
        doc(m(result={**INT, "default": 1})),
        doc(m(result={**INT, "default": 2})),
        [],
    ),
    (
        "error codes removed and added",
        doc(m(errors=[{"code": 1001, "message": "Division by zero"}])),
        doc(m(errors=[{"code": 1002, "message": "Result out of range"}])),
        [
            (B, "ns.go", "error 1001 (Division by zero) removed"),
            (A, "ns.go", "new error 1002 (Result out of range)"),
        ],
    ),
    (
        "deprecated, with a replacement",
        doc(m(), m("ns.new")),
        doc(m(deprecated=True, **{"x-replaced-by": "ns.new"}), m("ns.new")),
        [(A, "ns.go", "deprecated: use ns.new")],
    ),
    (
        "a deprecated method removed",
        doc(m(deprecated=True)),
        doc(),
        [(B, "ns.go", "method removed (it was deprecated)")],
    ),
    (
        "a new scope",
        doc(m(**{"x-security": [{"apiKey": ["ns"]}]})),
        doc(m(**{"x-security": [{"apiKey": ["ns:admin"]}]})),
        [(B, "ns.go", "needs scope ns:admin (was ns)")],
    ),
    (
        "only words changed",
        doc(m(params=[p("a")], summary="Go.", description="Goes.")),
        doc(m(params=[{**p("a"), "description": "A."}], summary="Go!", examples=[])),
        [],
    ),
    (
        "a component renamed, nothing else",
        doc(
            m(result={"$ref": "#/components/schemas/Old"}),
            Old={"type": "object", "properties": {"a": INT}},
        ),
        doc(
            m(result={"$ref": "#/components/schemas/New"}),
            New={"type": "object", "properties": {"a": INT}},
        ),
        [],
    ),
    (
        "reference objects followed",
        doc(m(params=[{"$ref": "#/components/contentDescriptors/A"}]))
        | {"components": {"contentDescriptors": {"A": p("a")}}},
        doc(m(params=[p("a", STR)])),
        [(B, "ns.go", 'param a: type "integer" → "string"')],
    ),
]


@pytest.mark.parametrize(("why", "old", "new", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_change_is_found_and_judged(why: str, old: Any, new: Any, expected: Any) -> None:
    assert changes(old, new) == expected


def test_a_change_in_a_shared_component_is_listed_for_each_method_using_it() -> None:
    new = served()
    priority = new["components"]["schemas"]["Priority"]
    priority["enum"] = [value for value in priority["enum"] if value != "low"]
    found = diff(served(), new)
    assert Change(B, "tasks.submit", 'param priority: enum value "low" removed') in found
    assert Change(A, "tasks.get", 'result.priority: enum value "low" removed') in found


def test_a_change_deep_in_a_recursive_component_is_found() -> None:
    def tree(leaf: dict[str, Any]) -> dict[str, Any]:
        kids = {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}}
        return {"type": "object", "properties": {"leaf": leaf, "kids": kids}}

    uses = m(params=[p("t", {"$ref": "#/components/schemas/Tree"})])
    old, new = doc(uses, Tree=tree(INT)), doc(uses, Tree=tree({**INT, "minimum": 0}))
    assert diff(old, old) == []
    assert changes(old, new) == [(B, "ns.go", "param t.leaf: minimum 0 added")]


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"openrpc": "1.3.2"}, "no list of methods"),
        (doc(m(), m()), "declared twice"),
        (doc({"summary": "no name"}), "has no name"),
        (doc(m(params=[p("a", {"$ref": "#/components/schemas/Gone"})])), "points nowhere"),
        (doc({"$ref": "#/methods/0"}), "cannot follow"),
    ],
)
def test_documents_it_cannot_read_are_refused(document: Any, problem: str) -> None:
    with pytest.raises(DocumentError, match=problem):
        diff(document, document)


@pytest.mark.parametrize(
    ("old", "new", "allowed"),
    [
        ("0.1.0", "0.1.1", False),
        ("0.1.0", "0.1.9", False),
        ("0.1.3", "0.2.0", True),
        ("0.1.0", "1.0.0", True),
        ("0.0.3", "0.0.4", True),
        ("1.2.3", "1.9.0", False),
        ("1.2.3", "2.0.0", True),
        ("1.2.3", "2.0.0-rc.1", True),
        ("0.2.0", "0.1.0", False),
        ("0.1.0", "0.1.0", False),
    ],
)
def test_breaking_changes_need_a_new_major_by_the_caret_convention(
    old: str, new: str, allowed: bool
) -> None:
    assert allows_breaking(old, new) is allowed


@pytest.mark.parametrize(
    ("version", "major"), [("0.1.4", "0.2.0"), ("0.0.3", "0.0.4"), ("1.4.2", "2.0.0")]
)
def test_next_major(version: str, major: str) -> None:
    assert next_major(version) == major
    assert allows_breaking(version, major)


@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "01.0.0", ""])
def test_versions_must_be_semver(version: str) -> None:
    with pytest.raises(ValueError, match="not a semantic version"):
        release(version)


def test_the_summary_counts_and_advises() -> None:
    old = doc(m(params=[p("a")]), m("ns.gone"))
    new = doc(m(params=[p("a"), p("b", required=False)]))
    found = diff(old, new)
    assert summary(found, old, new) == (
        "2 changes since 1.0.0 (now 1.0.0): 1 breaking, 1 additive; breaking changes need a "
        "new major version, such as 2.0.0"
    )
    bumped = new | {"info": {"version": "2.0.0"}}
    assert (
        summary(found, old, bumped) == "2 changes since 1.0.0 (now 2.0.0): 1 breaking, 1 additive"
    )
    assert summary([], old, old) == "no changes since 1.0.0 (now 1.0.0)"
