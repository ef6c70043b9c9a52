"""The OpenRPC document is generated from the code, and the committed copy matches it."""

from __future__ import annotations

from pathlib import Path

import orjson

from app.cli import main
from app.server import build_api
from app.settings import Settings

COMMITTED = Path(__file__).parents[2] / "openrpc.json"


def test_committed_openrpc_json_matches_the_code(capsys: object) -> None:
    assert main(["openrpc"]) == 0
    generated = capsys.readouterr().out  # type: ignore[attr-defined]
    assert COMMITTED.read_text() == generated, "run: rpc-hub openrpc > openrpc.json"


def test_methods_carry_schemas_errors_and_examples() -> None:
    _, document = build_api(Settings())
    methods = {m["name"]: m for m in document["methods"]}
    divide = methods["calc.divide"]
    assert divide["summary"].startswith("Divide")
    assert [p["name"] for p in divide["params"]] == ["dividend", "divisor"]
    assert all(p["required"] for p in divide["params"])
    assert divide["params"][1]["description"] == "Must not be zero."
    assert {"code": 1001, "message": "Division by zero"} in divide["errors"]
    assert divide["examples"][0]["params"] == [
        {"name": "dividend", "value": 10},
        {"name": "divisor", "value": 2},
    ]
    assert divide["paramStructure"] == "either"
    assert methods["calc.sum"]["paramStructure"] == "by-name"
    assert "rpc.discover" not in methods
    assert orjson.loads(orjson.dumps(document)) == document
