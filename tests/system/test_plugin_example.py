"""docs/extending.md's "Adding a namespace", followed as written: serve the plugin, call it."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from tests.helpers.server_process import ROOT, server_process

PAGE = (Path(ROOT) / "docs" / "extending.md").read_text()
GUIDE = PAGE[PAGE.index("## Adding a namespace") : PAGE.index("## Layout")]


def serve_command() -> list[str]:
    """The guide's ``rpc-hub serve`` line, run with this environment's console script."""
    [line] = re.findall(r"^(rpc-hub serve .+)$", GUIDE, re.M)
    program, *arguments = shlex.split(line)
    return [str(Path(sys.executable).with_name(program)), *arguments]


def exchanges() -> list[tuple[bytes, Any]]:
    """Each curl body in the guide, with the answer shown under it."""
    pairs = re.findall(r"-d '([^']+)' localhost:8080/rpc\n# (.+)$", GUIDE, re.M)
    assert len(pairs) >= 2
    return [(body.encode(), orjson.loads(shown)) for body, shown in pairs]


async def test_the_guide_runs_as_written() -> None:
    async with (
        server_process(command=serve_command()) as server,
        aiohttp.ClientSession() as session,
    ):
        for body, shown in exchanges():
            headers = {"Content-Type": "application/json"}
            async with session.post(f"{server.url}/rpc", data=body, headers=headers) as response:
                assert response.status == 200
                assert await response.json() == shown
        async with session.get(f"{server.url}/openrpc.json") as response:
            document = await response.json()
    methods = {method["name"]: method for method in document["methods"]}
    assert {"notes.add", "notes.get", "notes.tagged", "notes.delete", "calc.add"} <= set(methods)
    # The plugin's errors reach the document's error table, and its examples are there.
    assert methods["notes.get"]["errors"] == [{"code": 9001, "message": "Note not found"}]
    assert methods["notes.add"]["errors"] == [{"code": 9002, "message": "Notebook full"}]
    assert methods["notes.add"]["examples"][0]["result"]["value"]["note_id"] == "n1"
