"""One method's OpenRPC entry as a CommonMark page, for `rpc-hub methods NAME`.

The page is what a person reads: the summary and description as the server wrote them,
each param's type, default and description, the result's fields, the declared errors, and
each example as the `rpc-hub call` line that makes it. `Output.markdown` renders it on a
terminal and prints it as it is when piped, where its markup still reads as plain text.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

import orjson

_REF_PREFIX = "#/components/schemas/"
_NONE = ""
"""No JSON text is empty: what a param without a default compares as."""


def method_page(method: dict[str, Any], schemas: dict[str, Any]) -> str:
    """`method` (an entry of the document's `methods`) as CommonMark; `schemas` resolves refs."""
    blocks = [f"## {method['name']}"]
    if method.get("deprecated"):
        blocks.append("**Deprecated.**")
    blocks += [text for text in (method.get("summary"), method.get("description")) if text]
    blocks.append(_traits(method))
    params = method.get("params", [])
    if params:
        blocks += ["### Params", "\n".join(_param(param, schemas) for param in params)]
    if result := method.get("result"):
        blocks += ["### Result", *_result(result, schemas)]
    if errors := method.get("errors"):
        lines = [f"- `{error['code']}` {error.get('message', '')}".rstrip() for error in errors]
        blocks += ["### Errors", "\n".join(lines)]
    if examples := method.get("examples"):
        blocks.append("### Examples")
        blocks += [_example(method, example) for example in examples]
    return "\n\n".join(block for block in blocks if block) + "\n"


def _type_name(schema: dict[str, Any], schemas: dict[str, Any]) -> str:
    """A JSON Schema in a few words, as CommonMark: integer, string or null, array of Cart."""
    if "$ref" in schema:
        name = str(schema["$ref"]).removeprefix(_REF_PREFIX)
        target = schemas.get(name, {})
        return _enum(target["enum"]) if "enum" in target else name
    if "enum" in schema:
        return _enum(schema["enum"])
    if "const" in schema:
        return f"`{_json(schema['const'])}`"
    choices = schema.get("anyOf") or schema.get("oneOf")
    if choices:
        names = list(dict.fromkeys(_type_name(choice, schemas) for choice in choices))
        if "integer" in names and "number" in names:
            names.remove("integer")  # an integer is a number: say it once
        return " or ".join(names)
    kind = schema.get("type")
    if kind == "array" and isinstance(schema.get("items"), dict):
        return f"array of {_type_name(schema['items'], schemas)}"
    if isinstance(kind, list):
        return " or ".join(str(each) for each in kind)
    return str(kind) if kind else "any JSON value"


def _traits(method: dict[str, Any]) -> str:
    needs = method.get("x-security", [])
    traits = [f"scope `{scope}`" for need in needs for scopes in need.values() for scope in scopes]
    if method.get("x-idempotent"):
        traits.append("idempotent (safe to retry)")
    if method.get("x-sensitive"):
        traits.append("sensitive (errors never echo its values)")
    if "x-cost" in method:
        traits.append(f"costs {method['x-cost']} rate-limit units")
    return ("*" + "; ".join(traits) + ".*") if traits else ""


def _param(param: dict[str, Any], schemas: dict[str, Any]) -> str:
    schema = param.get("schema", {})
    facts = [_type_name(schema, schemas)]
    if param.get("required"):
        facts.append("required")
    elif "default" in schema:
        facts.append(f"default `{_json(schema['default'])}`")
    line = f"- `{param['name']}` ({', '.join(facts)})"
    if param.get("deprecated"):
        line += " **deprecated**"
    description = param.get("description")
    return f"{line}: {_one_line(description)}" if description else line


def _result(result: dict[str, Any], schemas: dict[str, Any]) -> list[str]:
    schema = result.get("schema", {})
    head = _type_name(schema, schemas)
    if description := result.get("description"):
        head += f": {_one_line(description)}"
    blocks = [head]
    target = _object(schema, schemas)
    if target is not None:
        if description := target.get("description"):
            blocks.append(description)
        fields = [_field(name, field, schemas) for name, field in target["properties"].items()]
        blocks.append("\n".join(fields))
    return blocks


def _field(name: str, schema: dict[str, Any], schemas: dict[str, Any]) -> str:
    line = f"- `{name}` ({_type_name(schema, schemas)})"
    description = schema.get("description")
    return f"{line}: {_one_line(description)}" if description else line


def _object(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any] | None:
    """The object the result is, or is an array of, where the document names its fields."""
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        schema = schema["items"]
    if "$ref" not in schema:
        return None
    target = schemas.get(str(schema["$ref"]).removeprefix(_REF_PREFIX), {})
    return target if isinstance(target.get("properties"), dict) else None


def _example(method: dict[str, Any], example: dict[str, Any]) -> str:
    title = f"**{example.get('name', 'example')}**"
    if summary := example.get("summary"):
        title += f": {_one_line(summary)}"
    pairs = [(param["name"], param["value"]) for param in example.get("params", [])]
    if method.get("paramStructure") == "by-position":
        words = [_word(value) for _, value in pairs]
    else:
        defaults = _defaults(method)
        words = [
            f"{name}={_word(value)}"
            for name, value in pairs
            if defaults.get(name, _NONE) != _json(value)  # a default: the server fills it in
        ]
    command = shlex.join(["rpc-hub", "call", method["name"], *words])
    lines = [f"$ {command}"]
    if "result" in example:
        value = example["result"].get("value")
        lines.append(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())
    return title + "\n\n```console\n" + "\n".join(lines) + "\n```"


def _defaults(method: dict[str, Any]) -> dict[str, Any]:
    """The default of each optional param that has one, as JSON (so `true` is not `1`)."""
    return {
        param["name"]: _json(param["schema"]["default"])
        for param in method.get("params", [])
        if not param.get("required") and "default" in param.get("schema", {})
    }


def _word(value: Any) -> str:
    """A param value as `rpc-hub call` reads it back: a string bare unless it reads as JSON."""
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return value
    return _json(value)


def _enum(values: list[Any]) -> str:
    return " | ".join(f"`{_json(value)}`" for value in values)


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _one_line(text: str) -> str:
    # A list item or title holds one line; the text's own line breaks are soft anyway.
    return " ".join(text.split())
