"""JSON Schema validators for tests: the vendored OpenRPC meta-schema, and the schemas an
OpenRPC document declares for each method's params and result.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import orjson
from jsonschema import Draft7Validator, Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

FIXTURES = Path(__file__).parents[1] / "fixtures" / "openrpc-meta-schema"
OPENRPC_META = FIXTURES / "open-rpc-meta-schema-1.14.9.json"
JSON_SCHEMA_META = FIXTURES / "json-schema-tools-meta-schema-1.8.0.json"


@cache
def meta_validator() -> Draft7Validator:
    """Validates a whole OpenRPC document, formats (uri, regex, …) included.

    The meta-schema refers to ``https://meta.json-schema.tools`` for every embedded schema;
    that document is vendored beside it, so nothing is fetched.
    """
    openrpc = orjson.loads(OPENRPC_META.read_bytes())
    json_schema = DRAFT7.create_resource(orjson.loads(JSON_SCHEMA_META.read_bytes()))
    registry: Registry[Any] = Registry().with_resources(
        [
            ("https://meta.json-schema.tools", json_schema),
            ("https://meta.json-schema.tools/", json_schema),
        ]
    )
    return Draft7Validator(
        openrpc, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER
    )


def meta_errors(document: dict[str, Any]) -> list[str]:
    """Every place ``document`` breaks the meta-schema, as readable lines."""
    return [
        f"/{'/'.join(map(str, error.absolute_path))}: {error.message[:300]}"
        for error in meta_validator().iter_errors(document)
    ]


def _validator(schema: dict[str, Any], document: dict[str, Any]) -> Draft202012Validator:
    # pydantic writes draft 2020-12 schemas; their "#/components/schemas/…" references point
    # into the document, so the document's components travel with the schema.
    rooted = {"allOf": [schema], "components": document.get("components", {})}
    return Draft202012Validator(rooted, format_checker=Draft202012Validator.FORMAT_CHECKER)


def result_errors(document: dict[str, Any], method: dict[str, Any], value: Any) -> list[str]:
    """Where ``value`` breaks ``method``'s declared result schema."""
    validator = _validator(method["result"]["schema"], document)
    return [f"result {error.message[:300]}" for error in validator.iter_errors(value)]


def params_errors(document: dict[str, Any], method: dict[str, Any], params: Any) -> list[str]:
    """Where by-name ``params`` break ``method``'s param descriptors."""
    schema = {
        "type": "object",
        "properties": {param["name"]: param["schema"] for param in method["params"]},
        "required": [param["name"] for param in method["params"] if param.get("required")],
        "additionalProperties": False,
    }
    validator = _validator(schema, document)
    return [f"params {error.message[:300]}" for error in validator.iter_errors(params)]


def example_params(example: dict[str, Any]) -> dict[str, Any]:
    """An OpenRPC example pairing's params, by name."""
    return {param["name"]: param["value"] for param in example["params"]}
