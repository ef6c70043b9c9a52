"""What the `rpc-hub` client commands print: pretty and colored (rich) on a terminal,
plain JSON or tab-separated lines when piped, so scripts and `jq` read it.

On a terminal, results are for people: each float is rounded (see `for_people`) and method
docs are rendered from their CommonMark. Piped output is exact, and docs stay CommonMark.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import orjson
from rich.console import Console
from rich.json import JSON
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text

DECIMALS = 3
"""Human output shows a float to this many decimal places (12.437812 s as 12.438 s)."""


class Output:
    """Where results go (stdout) and where errors and notes go (stderr)."""

    def __init__(self) -> None:
        self.out = Console(highlight=False)
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)

    @property
    def pretty(self) -> bool:
        """True on a terminal (or where rich is told to behave as one, e.g. FORCE_COLOR)."""
        return self.out.is_terminal

    def json(self, value: Any) -> None:
        """A JSON value: highlighted and indented on a terminal, one compact line otherwise."""
        if self.pretty:
            self.out.print(JSON.from_data(value, indent=2))
        else:
            _write(sys.stdout, orjson.dumps(value))

    def result(self, value: Any) -> None:
        """A call's result: for people on a terminal (floats rounded), exact when piped."""
        self.json(for_people(value) if self.pretty else value)

    def event(self, value: Any) -> None:
        """One pushed value as it comes: a highlighted line on a terminal, a JSON line piped."""
        if self.pretty:
            self.out.print(JSON.from_data(for_people(value), indent=None), soft_wrap=True)
        else:
            _write(sys.stdout, orjson.dumps(value))

    def note(self, message: str) -> None:
        """Something worth knowing that is not a result (a reconnect), on stderr."""
        self.err.print(Text(message, style="dim"))

    def error(self, error: Any) -> None:
        """A JSON-RPC error object, on stderr."""
        if not self.err.is_terminal:
            _write(sys.stderr, orjson.dumps(error))
            return
        if not isinstance(error, dict):
            self.err.print(JSON.from_data(error, indent=2))
            return
        line = Text()
        line.append(f"error {error.get('code')}", style="bold red")
        line.append(f": {error.get('message')}")
        self.err.print(line)
        if "data" in error:
            self.err.print(JSON.from_data(for_people(error["data"]), indent=2))

    def batch(self, requests: list[Any], responses: Any) -> None:
        """The responses to a batch: a table on a terminal, the JSON array otherwise."""
        if not self.pretty or not isinstance(responses, list):
            self.json(responses)
            return
        methods = {
            _key(request.get("id")): request.get("method")
            for request in requests
            if isinstance(request, dict) and "id" in request
        }
        table = Table(show_edge=False, header_style="bold")
        table.add_column("id")
        table.add_column("method", style="cyan")
        table.add_column("outcome", overflow="fold")
        for response in responses:
            id_ = response.get("id") if isinstance(response, dict) else None
            method = methods.get(_key(id_), "")
            if isinstance(response, dict) and "error" in response:
                error = response["error"]
                outcome = Text(f"error {error.get('code')}: {error.get('message')}", style="red")
                if "data" in error:
                    data = orjson.dumps(for_people(error["data"])).decode()
                    outcome.append(" " + data, style="dim")
            else:
                result = response.get("result") if isinstance(response, dict) else response
                outcome = JSON.from_data(for_people(result)).text
            table.add_row(orjson.dumps(id_).decode(), method or "", outcome)
        self.out.print(table)

    def methods(self, methods: list[dict[str, Any]]) -> None:
        """Every method and its summary: a table on a terminal, with each summary rendered
        from its CommonMark; tab-separated lines of the CommonMark itself otherwise."""
        if not self.pretty:
            lines = [f"{method['name']}\t{method.get('summary', '')}\n" for method in methods]
            sys.stdout.write("".join(lines))
            return
        table = Table(show_edge=False, header_style="bold")
        table.add_column("method", no_wrap=True)
        table.add_column("summary")
        for method in methods:
            name = Text(method["name"], style="cyan")
            if method.get("deprecated"):
                name.append(" deprecated", style="yellow")
            table.add_row(name, Markdown(method.get("summary", "")))
        self.out.print(table)

    def markdown(self, text: str) -> None:
        """CommonMark (a method's docs): rendered on a terminal, as it is when piped."""
        if self.pretty:
            self.out.print(Markdown(text))
        else:
            sys.stdout.write(text)

    def fail(self, message: str) -> None:
        """A one-line problem (the server cannot be reached, the input is unreadable)."""
        self.err.print(Text.assemble(("rpc-hub: ", "bold red"), message))


def for_people(value: Any) -> Any:
    """`value` with each float rounded to `DECIMALS` places, or to 3 significant digits
    where that would show a non-zero float as 0 (0.000123456 stays 0.000123)."""
    if isinstance(value, float):
        if value == 0 or not math.isfinite(value) or abs(value) >= 10**-DECIMALS:
            return round(value, DECIMALS)
        return float(f"{value:.3g}")
    if isinstance(value, dict):
        return {key: for_people(item) for key, item in value.items()}
    if isinstance(value, list):
        return [for_people(item) for item in value]
    return value


def _write(stream: Any, data: bytes) -> None:
    stream.write(data.decode() + "\n")
    stream.flush()


def _key(id_: Any) -> bytes:
    # Ids are matched by their JSON form, so 1 and "1" stay distinct and lists can't crash us.
    return orjson.dumps(id_)
