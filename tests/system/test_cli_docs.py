"""`rpc-hub methods` showing the server's method docs, and the floats of human output, as
real processes against a real server: on a terminal (a pty) rendered for people, piped as
CommonMark and exact JSON for scripts.
"""

from __future__ import annotations

import json
import re
import shlex
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest
import pytest_asyncio

from app.client import Client
from tests.helpers.server_process import ServerProcess, server_process
from tests.helpers.terminal import terminal
from tests.system.test_cli_call import Run, rpc_hub, rpc_hub_on_a_terminal

pytestmark = pytest.mark.asyncio(loop_scope="module")

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
STYLE = r"\x1b\[[0-9;]*m"
"""An SGR sequence: where a code span's own style begins or ends."""
_EXAMPLE = re.compile(r"```console\n\$ (?P<command>[^\n]*)\n(?P<result>.*?)\n```", re.DOTALL)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def server() -> AsyncIterator[ServerProcess]:
    async with server_process("--plugins", "tests.helpers.probe:namespace", "--no-call-log") as p:
        yield p


def screen(run: Run) -> str:
    """What a person sees: the output without colors or carriage returns."""
    return _ANSI.sub("", run.out).replace("\r", "")


def words(text: str) -> str:
    """`text` with each run of spaces and line ends as one space: wrapping aside."""
    return " ".join(text.split())


async def test_methods_piped_keeps_each_summary_as_commonmark(server: ServerProcess) -> None:
    run = await rpc_hub(server, "methods")
    assert (run.status, run.err) == (0, "")
    lines = run.out.splitlines()
    assert (
        "calc.subtract\tSubtract `subtrahend` from `minuend`, as in the spec's examples." in lines
    )
    assert "calc.sum\tAdd any count of numbers given by position: `[1, 2, 4]` gives 7." in lines


async def test_methods_on_a_terminal_renders_code_spans(server: ServerProcess) -> None:
    run = await rpc_hub_on_a_terminal(server, "methods")
    assert run.status == 0
    shown = screen(run)
    assert "Subtract subtrahend from minuend, as in the spec's examples." in shown
    assert "Add any count of numbers given by position: [1, 2, 4] gives 7." in shown
    assert "`" not in shown
    assert re.search(f"{STYLE}subtrahend{STYLE} from {STYLE}minuend{STYLE}", run.out)


async def test_one_method_piped_is_its_docs_as_commonmark(server: ServerProcess) -> None:
    run = await rpc_hub(server, "methods", "calc.divide")
    assert (run.status, run.err) == (0, "")
    assert run.out.startswith(
        "## calc.divide\n\nDivide `dividend` by `divisor`.\n\n"
        "Two integers that divide exactly give an integer; anything else gives a float.\n\n"
    )
    lines = run.out.splitlines()
    for line in [
        "### Params",
        "- `dividend` (number, required)",
        "- `divisor` (number, required): Must not be zero.",
        "### Result",
        "### Errors",
        "- `1001` Division by zero",
        "### Examples",
        "$ rpc-hub call calc.divide dividend=7 divisor=2",
    ]:
        assert line in lines


async def test_one_method_on_a_terminal_is_rendered(server: ServerProcess) -> None:
    run = await rpc_hub_on_a_terminal(server, "methods", "weather.get_temperature")
    assert run.status == 0
    shown = screen(run)
    assert "`" not in shown and "##" not in shown and "- `" not in shown
    text = words(shown)
    for part in [
        "An ambiguous name means its most populous city unless country is given.",
        "• city (string or integer, required): A city's name",
        '• units ("C" | "F" | "K", default "C"): Celsius, Fahrenheit or Kelvin.',
        "• temperature (number): In the requested units.",
        "• 2001 City not found",
        "Paris, in Fahrenheit: An ambiguous name means its most populous city.",
        "$ rpc-hub call weather.get_temperature city=Paris units=F",
    ]:
        assert part in text
    assert re.search(f"unless {STYLE}country{STYLE} is given", run.out)


async def test_each_calc_example_is_a_command_that_gives_its_result(server: ServerProcess) -> None:
    listed = await rpc_hub(server, "methods", "calc")
    names = [line.split("\t")[0] for line in listed.out.splitlines()]
    assert listed.status == 0 and len(names) == 8
    assert all(name.startswith("calc.") for name in names)
    checked = 0
    for name in names:
        page = await rpc_hub(server, "methods", name)
        for example in _EXAMPLE.finditer(page.out):
            command = shlex.split(example["command"])
            assert command[:3] == ["rpc-hub", "call", name]
            run = await rpc_hub(server, *command[1:])
            assert (run.status, run.json) == (0, orjson.loads(example["result"])), command
            checked += 1
    assert checked >= len(names)


async def test_a_name_it_does_not_have_exits_1_with_what_is_close(server: ServerProcess) -> None:
    run = await rpc_hub(server, "methods", "calc.sub")
    assert (run.status, run.out) == (1, "")
    assert run.err.startswith("rpc-hub: ") and run.err.count("\n") == 1
    assert "no method or namespace calc.sub" in run.err and "calc.subtract" in run.err


async def test_on_a_terminal_floats_are_rounded_for_people(server: ServerProcess) -> None:
    run = await rpc_hub_on_a_terminal(server, "call", "calc.divide", "1", "3")
    assert (run.status, screen(run).strip()) == (0, "0.333")
    piped = await rpc_hub(server, "call", "calc.divide", "1", "3")
    assert piped.out == "0.3333333333333333\n"

    sent = {
        "time_left_s": 12.437812,
        "tiny": 0.000123456,
        "whole": 2.0,
        "n": 7,
        "at": [1e9 + 0.1234],
    }
    word = "value=" + orjson.dumps(sent).decode()
    run = await rpc_hub_on_a_terminal(server, "call", "probe.echo", word)
    shown = json.loads(screen(run))
    assert shown == {
        "time_left_s": 12.438,
        "tiny": 0.000123,
        "whole": 2.0,
        "n": 7,
        "at": [1e9 + 0.123],
    }
    assert isinstance(shown["n"], int)
    raw = await rpc_hub_on_a_terminal(server, "call", "--raw", "probe.echo", word)
    assert json.loads(screen(raw))["result"] == sent  # the response itself, exact
    assert (await rpc_hub(server, "call", "probe.echo", word)).json == sent


async def test_on_a_terminal_a_batch_table_rounds_too(
    server: ServerProcess, tmp_path: Path
) -> None:
    path = tmp_path / "batch.json"
    path.write_bytes(
        orjson.dumps([{"jsonrpc": "2.0", "method": "calc.divide", "params": [2, 3], "id": 1}])
    )
    run = await rpc_hub_on_a_terminal(server, "call", "--batch", str(path))
    rows = [line for line in screen(run).splitlines() if "calc.divide" in line]
    assert len(rows) == 1 and "0.667" in rows[0] and "0.6666" not in rows[0]


async def test_a_rounds_time_left_is_rounded_on_a_terminal(server: ServerProcess) -> None:
    async with Client(f"{server.url}/rpc") as client:
        for name in ("ann", "bob"):
            await client.call("game.join", name=name)
    run = await rpc_hub_on_a_terminal(server, "call", "game.state")
    state = json.loads(screen(run))
    assert state["phase"] == "playing" and 0 < state["time_left_s"] <= state["round_s"]
    time_left = re.search(r'"time_left_s": \d+(?:\.(\d+))?', screen(run))
    assert time_left is not None and len(time_left.group(1) or "") <= 3


async def test_pushed_events_are_rounded_on_a_terminal(server: ServerProcess) -> None:
    shown = await terminal(server.url, "subscribe", "weather.subscribe", "city=Paris")
    try:
        await shown.shows('"latitude": 48.853,')  # GeoNames has Paris at 48.85341
        assert "48.85341" not in shown.screen
        shown.process.send_signal(signal.SIGINT)
        assert await shown.exited() == 0
    finally:
        shown.close()
