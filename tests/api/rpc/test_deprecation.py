"""Deprecated methods: OpenRPC marks them and names their replacement, each call is logged
with the method to use instead, and counted in `rpc_deprecated_calls_total`."""

from __future__ import annotations

import logging

import pytest

from app.plugins import Plugin
from app.rpc.namespace import Method, Namespace
from app.rpc.registry import Registry, RegistryError
from tests.api.test_metrics import scrape, value
from tests.helpers.openrpc_schemas import meta_errors
from tests.helpers.rpc import Client, MakeClient, call, error, post, result


async def total(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


async def plus(a: int, b: int) -> int:
    """Add two integers (the old name: use `legacy.total`)."""
    return a + b


async def minus(a: int, b: int) -> int:
    """Subtract; going away with nothing in its place."""
    return a - b


LEGACY = Namespace(
    "legacy",
    [
        Method(total),
        Method(plus, deprecated=True, replaced_by="legacy.total"),
        Method(minus, deprecated=True),
    ],
)


@pytest.fixture
async def legacy(make_client: MakeClient) -> Client:
    """An app serving only the test's plugin (and the engine's `rpc.discover`)."""
    return await make_client(plugins=[Plugin([LEGACY])])


async def test_openrpc_marks_the_method_and_names_its_replacement(legacy: Client) -> None:
    response = await legacy.get("/openrpc.json")
    document = await response.json()
    methods = {m["name"]: m for m in document["methods"]}
    assert methods["legacy.plus"]["deprecated"] is True
    assert methods["legacy.plus"]["x-replaced-by"] == "legacy.total"
    assert methods["legacy.minus"]["deprecated"] is True
    assert "x-replaced-by" not in methods["legacy.minus"]
    assert "deprecated" not in methods["legacy.total"]
    assert "x-replaced-by" not in methods["legacy.total"]
    assert meta_errors(document) == []
    assert await result(legacy, "rpc.discover") == document


async def test_each_call_is_logged_naming_the_replacement(
    legacy: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="app.rpc"):
        assert await result(legacy, "legacy.plus", [2, 3]) == 5
        assert await result(legacy, "legacy.minus", [5, 3]) == 2
        assert await result(legacy, "legacy.total", [2, 3]) == 5
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2, warnings
    assert warnings[0].startswith("deprecated method legacy.plus called (request ")
    assert warnings[0].endswith("): use legacy.total instead")
    assert warnings[1].endswith("): no replacement is named")


async def test_calls_are_counted_by_method(legacy: Client) -> None:
    before = await scrape(legacy)
    assert value(before, "rpc_deprecated_calls_total", method="legacy.plus") == 0
    assert value(before, "rpc_deprecated_calls_total", method="legacy.minus") == 0
    await result(legacy, "legacy.plus", [1, 1])
    await result(legacy, "legacy.plus", {"a": 1, "b": 2})
    assert (await error(legacy, "legacy.plus", [1]))["code"] == -32602  # still a caller of it
    await result(legacy, "legacy.total", [1, 1])
    after = await scrape(legacy)
    assert value(after, "rpc_deprecated_calls_total", method="legacy.plus") == 3
    assert value(after, "rpc_deprecated_calls_total", method="legacy.minus") == 0
    series = {dict(labels)["method"] for labels in after["rpc_deprecated_calls_total"]}
    assert series == {"legacy.plus", "legacy.minus"}  # only deprecated methods have one


async def test_calls_in_a_batch_count_one_each(legacy: Client) -> None:
    await call(legacy, "legacy.minus", [3, 1])
    await post(
        legacy,
        [{"jsonrpc": "2.0", "method": "legacy.minus", "params": [1, 1], "id": n} for n in range(4)],
    )
    samples = await scrape(legacy)
    assert value(samples, "rpc_deprecated_calls_total", method="legacy.minus") == 5


async def ok() -> int:
    """A valid handler."""
    return 1


async def test_with_no_deprecated_method_the_metric_has_no_series(
    make_client: MakeClient,
) -> None:
    client = await make_client(plugins=[Plugin([Namespace("current", [ok])])])
    await result(client, "current.ok")
    samples = await scrape(client)
    assert value(samples, "rpc_server_handled_total", method="current.ok", code="ok") == 1
    assert "rpc_deprecated_calls_total" not in samples


async def other() -> int:
    """Another."""
    return 2


@pytest.mark.parametrize(
    ("methods", "problem"),
    [
        ([Method(ok, replaced_by="ns.other"), Method(other)], "needs deprecated=True"),
        ([Method(ok, deprecated=True, replaced_by="ns.gone")], "'ns.gone', no such method"),
        ([Method(ok, deprecated=True, replaced_by="ok")], "'ok', no such method"),
        (
            [Method(ok, deprecated=True, replaced_by="ns.ok")],
            "'ns.ok', which is deprecated too",
        ),
        (
            [
                Method(ok, deprecated=True, replaced_by="ns.other"),
                Method(other, deprecated=True),
            ],
            "which is deprecated too",
        ),
    ],
)
def test_the_registry_refuses_a_replacement_that_cannot_be_used(
    methods: list[Method], problem: str
) -> None:
    with pytest.raises(RegistryError, match=problem):
        Registry([Namespace("ns", methods)])


def test_a_replacement_may_live_in_a_namespace_declared_later() -> None:
    registry = Registry(
        [
            Namespace("old", [Method(ok, deprecated=True, replaced_by="new.ok")]),
            Namespace("new", [Method(ok)]),
        ]
    )
    assert registry.deprecated == {"old.ok": "new.ok"}
