"""The worker's built-in task types and the plugin hook."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import Any

import pytest

from app.worker import Options, PermanentError, TaskContext, Worker, task_types


def ctx() -> TaskContext:
    return TaskContext("t_1", attempt=1)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"op": "add", "a": 2, "b": 3}, 5),
        ({"op": "subtract", "a": 2, "b": 3.5}, -1.5),
        ({"op": "multiply", "a": 6, "b": 7}, 42),
        ({"op": "divide", "a": 10, "b": 2}, 5),
        ({"op": "divide", "a": 7, "b": 2}, 3.5),
        ({"op": "power", "a": 2, "b": 10}, 1024),
        ({"op": "modulo", "a": 7, "b": 3}, 1),
        ({"op": "sum", "values": [1, 2, 4]}, 7),
    ],
)
async def test_compute(payload: dict[str, Any], expected: Any) -> None:
    result = await task_types.compute(payload, ctx())
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(
    "payload",
    [
        {"op": "divide", "a": 1, "b": 0},
        {"op": "add", "a": 1},
        {"op": "add", "a": True, "b": 1},
        {"op": "root", "a": 1, "b": 2},
        {"op": "power", "a": 10, "b": 100},
        {"op": "power", "a": 10.0, "b": 1000},
        {"op": "sum", "values": "123"},
        [1, 2],
    ],
)
async def test_compute_refuses_bad_input_for_good(payload: Any) -> None:
    with pytest.raises(PermanentError):
        await task_types.compute(payload, ctx())


@pytest.mark.parametrize(
    ("op", "expected"),
    [("upper", "HELLO WORLD"), ("reverse", "dlrow olleh"), ("title", "Hello World"), ("words", 2)],
)
async def test_transform(op: str, expected: Any) -> None:
    assert await task_types.transform({"op": op, "text": "hello world"}, ctx()) == expected


async def test_transform_refuses_unknown_ops_and_non_strings() -> None:
    for payload in ({"op": "shout", "text": "x"}, {"op": "upper", "text": 1}):
        with pytest.raises(PermanentError):
            await task_types.transform(payload, ctx())


async def test_io_and_sleep_wait_and_report_progress() -> None:
    assert await task_types.io({"delay_s": 0, "echo": [1]}, ctx()) == {"echo": [1], "delay_s": 0}
    context = ctx()
    assert await task_types.sleep({"seconds": 0}, context) == 0
    assert context.progress == 1.0
    with pytest.raises(PermanentError):
        await task_types.sleep({"seconds": -1}, context)


def test_plugins_by_reference_and_by_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = task_types.load(["tests.helpers.task_plugins:types"], use_entry_points=False)
    assert {"compute", "transform", "io", "sleep", "flaky", "total_of_deps"} <= set(loaded)
    point = EntryPoint("double", "tests.helpers.task_plugins:flaky", task_types.ENTRY_POINT_GROUP)
    monkeypatch.setattr(task_types, "entry_points", lambda group: [point])
    assert task_types.load()["double"] is loaded["flaky"]
    for bad in (
        "tests.helpers.task_plugins",
        "tests.helpers.task_plugins:TaskContext",
        "tests.helpers.task_plugins:nope",
    ):
        with pytest.raises((ValueError, AttributeError)):
            task_types.load([bad], use_entry_points=False)


def test_a_worker_refuses_types_it_does_not_know() -> None:
    with pytest.raises(ValueError, match="no task type named teleport"):
        Worker.check(Options(types=("compute", "teleport")), task_types.BUILTIN)


@pytest.mark.parametrize("concurrency", ["0", "1001"])
def test_the_worker_command_refuses_a_concurrency_the_server_would_refuse(
    concurrency: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["worker", "--concurrency", concurrency])
    assert exit_.value.code == 2
    assert "--concurrency must be from 1 to 1000" in capsys.readouterr().err
