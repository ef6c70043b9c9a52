"""The OpenRPC document, built from the registry: names and docs from docstrings, params
and results as JSON Schema from type hints, errors and examples from each declaration.

It is built once at start-up and served as is by ``rpc.discover`` and ``GET /openrpc.json``.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, JsonSchemaValue
from pydantic_core import core_schema, to_jsonable_python

from app.rpc.namespace import Example
from app.rpc.registry import Entry, Registry

OPENRPC_VERSION = "1.3.2"
_REF_TEMPLATE = "#/components/schemas/{model}"
_REF_PREFIX = _REF_TEMPLATE.removesuffix("{model}")
SERVER = {
    "name": "local",
    "url": "http://127.0.0.1:8080/rpc",
    "description": (
        "The default address of `python -m app`. Wherever this document is served, "
        "JSON-RPC is at POST /rpc on the same host and port."
    ),
}
"""The OpenRPC spec allows a relative ``url`` ("/rpc"), but the official meta-schema demands
an absolute URI (open-rpc/meta-schema#451) and so do the tools built on it, so we name the
default address and say the rest in words."""


SECURITY_SCHEME = "apiKey"
BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "rpch_<id>_<secret>",
    "description": (
        "An API key (`rpc-hub keys new`) as `Authorization: Bearer <key>`. Each method's "
        "`x-security` names the scope it needs; the admin scope grants every scope. Calls "
        "without a key hold the server's anonymous scopes."
    ),
}
"""OpenAPI's security scheme object, under an ``x-`` key: OpenRPC has none of its own."""


def build(registry: Registry, version: str) -> dict[str, Any]:
    """The OpenRPC document describing every method in ``registry``."""
    entries = list(registry)
    inputs: list[tuple[tuple[str, str], JsonSchemaMode, TypeAdapter[Any]]] = []
    for entry in entries:
        inputs.append(((entry.name, "params"), "validation", TypeAdapter(entry.binder.model)))
        inputs.append(((entry.name, "result"), "serialization", TypeAdapter(entry.result_type)))
    schemas, definitions = TypeAdapter.json_schemas(
        inputs, ref_template=_REF_TEMPLATE, schema_generator=_Schemas
    )
    shared = definitions.get("$defs", {})
    methods = []
    for entry in entries:
        params = schemas[((entry.name, "params"), "validation")]
        if "$ref" in params:  # the params model itself: split into descriptors, not shared
            params = shared.pop(params["$ref"].removeprefix(_REF_PREFIX))
        result = schemas[((entry.name, "result"), "serialization")]
        methods.append(_method(entry, params, result))
    return {
        "openrpc": OPENRPC_VERSION,
        "info": {
            "title": "rpc-hub",
            "version": version,
            "description": (
                "JSON-RPC 2.0 over HTTP POST /rpc. Standard errors: -32700 parse error, "
                "-32600 invalid request, -32601 method not found, -32602 invalid params "
                "(data lists each bad field), -32603 internal error (data holds a correlation "
                "id); -32000 to -32099 are server and policy errors."
            ),
            "license": {"name": "MIT"},
        },
        "servers": [SERVER],
        "methods": methods,
        "components": {
            "schemas": dict(sorted(shared.items())),
            "x-securitySchemes": {SECURITY_SCHEME: BEARER_SCHEME},
        },
    }


class _Schemas(GenerateJsonSchema):
    """pydantic's JSON Schemas, with the dates and date-times of results as patterns.

    OpenRPC's own checker, `@open-rpc/test-coverage`, validates a result that is not the
    example's with Ajv 7 in strict mode and no formats, which refuses to compile a schema
    with any `format`; params keep theirs (the browser console reads them).
    """

    def datetime_schema(self, schema: core_schema.DatetimeSchema) -> JsonSchemaValue:
        if self.mode == "serialization":
            return {"type": "string", "pattern": DATE_TIME_PATTERN}
        return super().datetime_schema(schema)

    def date_schema(self, schema: core_schema.DateSchema) -> JsonSchemaValue:
        if self.mode == "serialization":
            return {"type": "string", "pattern": DATE_PATTERN}
        return super().date_schema(schema)


DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
DATE_TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$"
"""What pydantic writes: RFC 3339, without the offset for a naive date-time."""


def _method(entry: Entry, params: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    declared = entry.declared
    method: dict[str, Any] = {"name": entry.name, "summary": entry.summary}
    if entry.description:
        method["description"] = entry.description
    method["params"] = _descriptors(params)
    method["result"] = {"name": "result", "schema": result}
    if declared.errors:
        method["errors"] = [
            {"code": error.code, "message": error.message}
            for error in sorted(declared.errors, key=lambda error: error.code)
        ]
    if declared.examples:
        method["examples"] = [_example(entry, example) for example in declared.examples]
    method["paramStructure"] = entry.binder.param_structure
    if declared.deprecated:
        method["deprecated"] = True
    if declared.replaced_by:
        # OpenRPC has no field for it; the registry has checked it names a live method.
        method["x-replaced-by"] = declared.replaced_by
    if declared.idempotent:
        method["x-idempotent"] = True
    if entry.scope is not None:
        # OpenAPI's security requirement shape: the scope a bearer key must hold.
        method["x-security"] = [{SECURITY_SCHEME: [entry.scope]}]
    if declared.redact_values:
        # Tells clients such as the browser console not to keep its requests around.
        method["x-sensitive"] = True
    if declared.cost != 1:
        # Rate-limit units per call, so clients can pace themselves (the default is 1).
        method["x-cost"] = declared.cost
    return method


def _descriptors(params: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(params.get("required", ()))
    descriptors = []
    for name, schema in params.get("properties", {}).items():
        schema = {key: value for key, value in schema.items() if key != "title"}
        descriptor: dict[str, Any] = {"name": name}
        if "description" in schema:
            descriptor["description"] = schema.pop("description")
        descriptor["required"] = name in required
        descriptor["schema"] = schema
        descriptors.append(descriptor)
    return descriptors


def _example(entry: Entry, example: Example) -> dict[str, Any]:
    params = named_params(entry, example.params)
    pairing: dict[str, Any] = {"name": example.name}
    if example.summary:
        pairing["summary"] = example.summary
    pairing["params"] = [{"name": name, "value": value} for name, value in params.items()]
    pairing["result"] = {"name": "result", "value": example.result}
    return pairing


def named_params(entry: Entry, params: dict[str, Any] | list[Any]) -> dict[str, Any]:
    """An example's params by name, in the method's order, each optional one it skips before
    its last given one filled in with its default.

    Pairings name their params, but tools send them in pairing order as an array (such as
    `@open-rpc/test-coverage` for a method that is not `by-name`), so an example written
    `{"city": "Paris", "units": "F"}` must list `country` between them to mean the same.
    """
    binder = entry.binder
    if isinstance(params, list):
        given = dict(zip(binder.positional, params, strict=False))
        if binder.var_positional is not None:
            given[binder.var_positional] = params[len(binder.positional) :]
    else:
        given = params
    fields = binder.model.model_fields
    names = list(fields)
    end = max((names.index(name) + 1 for name in given if name in fields), default=0)
    named: dict[str, Any] = {}
    for name in names[:end]:
        if name in given:
            named[name] = given[name]
        elif not fields[name].is_required():
            default = fields[name].get_default(call_default_factory=True)
            named[name] = to_jsonable_python(default)
        # A required param left out is the example's mistake, which its schema check names.
    # So are unknown names: kept, in the order given, for that check to report.
    named.update((name, value) for name, value in given.items() if name not in fields)
    return named
