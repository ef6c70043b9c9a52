"""Every OpenRPC example runs as written against a demo server, by position and by name.

Examples are documentation, with realistic ids: a cart, an order, a player, a worker and its
tasks. Demo mode (`serve --demo`, app/server/demo.py) seeds each record they name, so that
on a fresh demo app every example of every method, run once in the document's order
(methods in order, then each method's examples in order), must answer a result that matches
the method's declared result schema, and never an error.

That runs twice, each time on a fresh demo app: with params as OpenRPC's tools send them
(`@open-rpc/test-coverage`: the pairing's values as an array, or as an object for a
`by-name` method), and by name. tests/system/test_openrpc_coverage.py runs that tool itself
against a real `rpc-hub serve --demo`.

Calls come without a key, as a client on loopback makes them (holding every scope but the
admin ones); a method that needs an admin scope gets the admin token. Methods that manage
subscriptions (`<ns>.subscribe`, `<ns>.unsubscribe`) need a stream, so theirs go over one
WebSocket per pass. Statically, every method has an example, each example matches its
method's params and result schemas, and lists its params in the method's order.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import orjson
import pytest

from app.clock import ManualClock
from app.plugins import Plugin
from app.rpc.context import CallContext
from app.rpc.namespace import Example, Method, Namespace
from app.server import build_api, create_app
from app.server.builtin import BUILTIN
from app.settings import Settings
from app.stores import StartupError
from handlers.examples import tasks as examples
from handlers.examples.workers import WORKER_ID
from tests.helpers.openrpc_schemas import example_params, params_errors, result_errors
from tests.helpers.rpc import Client, MakeClient, post, result
from tests.helpers.ws import Socket, connect

ADMIN_TOKEN = "examples-admin-token-of-32-characters"
AS_ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
HANG_S = 5.0
"""A bound on a call that does not answer. Long-polls of the examples (tasks.claim waits up
to 10 s, tasks.get up to 30 s) find what they wait for already there on a demo server, so
one that waits this long is a problem, not a slow machine."""
By = Literal["position", "name"]


def test_every_method_has_an_example() -> None:
    registry, document = build_api(Settings())
    assert len(document["methods"]) == len(registry) - 1  # all but rpc.discover
    assert [m["name"] for m in document["methods"] if not m.get("examples")] == []


def test_every_example_matches_its_schemas() -> None:
    _, document = build_api(Settings())
    problems = []
    for method in document["methods"]:
        for example in method["examples"]:
            where = f"{method['name']} example {example['name']!r}:"
            errors = params_errors(document, method, example_params(example))
            errors += result_errors(document, method, example["result"]["value"])
            problems += [f"{where} {error}" for error in errors]
    assert problems == []


def test_every_example_lists_its_params_in_the_methods_order() -> None:
    """So the values, sent as an array, each land on their param: skipped optional ones
    are filled in with their defaults (app/rpc/openrpc.py, named_params)."""
    _, document = build_api(Settings())
    problems = []
    for method in document["methods"]:
        declared = [param["name"] for param in method["params"]]
        for example in method["examples"]:
            names = [param["name"] for param in example["params"]]
            if names != declared[: len(names)]:
                problems.append(f"{method['name']} {example['name']!r}: {names}, not {declared}")
    assert problems == []


def test_a_skipped_optional_param_is_filled_with_its_default() -> None:
    _, document = build_api(Settings())
    methods = {method["name"]: method for method in document["methods"]}
    [fahrenheit, _] = methods["weather.get_temperature"]["examples"]
    assert fahrenheit["params"] == [
        {"name": "city", "value": "Paris"},
        {"name": "country", "value": None},
        {"name": "units", "value": "F"},
    ]
    [register] = methods["workers.register"]["examples"]
    assert [param["value"] for param in register["params"]] == [
        "worker-2",
        ["compute", "transform"],
        ["default"],
        4,
    ]


def needs_stream(name: str) -> bool:
    return name.endswith((".subscribe", ".unsubscribe"))


def needs_admin(method: dict[str, Any]) -> bool:
    scopes = [scope for need in method.get("x-security", []) for scope in need.get("apiKey", [])]
    return any(scope == "admin" or scope.endswith(":admin") for scope in scopes)


def params_of(method: dict[str, Any], example: dict[str, Any], by: By) -> Any:
    """The params as sent: the pairing's values in order, or by name."""
    named = example_params(example)
    if by == "name" or method["paramStructure"] == "by-name":
        return named
    return list(named.values())


async def run_examples(client: Client, by: By) -> tuple[int, list[str]]:
    """Call every example in the document's order; how many ran, and what went wrong."""
    document = await result(client, "rpc.discover")
    problems: list[str] = []
    ran = 0
    socket: Socket | None = None
    for method in document["methods"]:
        name = method["name"]
        for example in method["examples"]:
            ran += 1
            where = f"{name} {example['name']!r}"
            params = params_of(method, example, by)
            try:
                async with asyncio.timeout(HANG_S):
                    if needs_stream(name):
                        socket = socket or await connect(client)
                        response = await socket.call(name, params)
                    else:
                        request = {"jsonrpc": "2.0", "method": name, "params": params, "id": ran}
                        headers = AS_ADMIN if needs_admin(method) else {}
                        status, response = await post(client, request, **headers)
                        assert status == 200, (where, status, response)
            except TimeoutError:
                problems.append(f"{where}: no answer within {HANG_S} s")
                continue
            if "error" in response:
                problems.append(f"{where}: {orjson.dumps(response['error']).decode()}")
                continue
            errors = result_errors(document, method, response["result"])
            problems += [f"{where}: {error} (got {response['result']!r})" for error in errors]
    if socket is not None:
        await socket.close()
    return ran, problems


@pytest.mark.parametrize("by", ["position", "name"])
async def test_every_example_runs_on_a_demo_server(make_client: MakeClient, by: By) -> None:
    client = await make_client(plugins=[BUILTIN], demo=True, admin_token=ADMIN_TOKEN)
    ran, problems = await run_examples(client, by)
    assert problems == []
    _, document = build_api(Settings())
    assert ran == sum(len(method["examples"]) for method in document["methods"])


async def test_without_demo_mode_the_named_records_are_not_there(
    make_client: MakeClient,
) -> None:
    """What demo mode is for: on a plain server the examples' ids name nothing."""
    client = await make_client(plugins=[BUILTIN], admin_token=ADMIN_TOKEN)
    _, problems = await run_examples(client, "position")
    text = "\n".join(problems)
    assert "cart.get 'two books'" in text and "3002" in text
    assert "tasks.heartbeat 'half way'" in text


async def heartbeat_seen(client: Client, at: float) -> None:
    """Wait until the demo's worker has heartbeated at clock time ``at`` or later."""
    async with asyncio.timeout(HANG_S):
        while True:
            seen = await result(client, "workers.list", {})
            if any(w["worker_id"] == WORKER_ID and w["last_seen"] >= at for w in seen):
                return
            await asyncio.sleep(0.01)


async def test_the_seeded_worker_keeps_its_leases_live(make_client: MakeClient) -> None:
    """A lease lapses without heartbeats: the demo's worker sends them, so an example that
    reports on a seeded lease finds it live however late it runs."""
    clock = ManualClock()
    client = await make_client(plugins=[BUILTIN], demo=True, clock=clock, task_lease_ttl_s=0.3)
    for _ in range(3):  # twice the lease's TTL in all, each step within it
        clock.advance(0.2)
        await heartbeat_seen(client, clock.time())
    [example] = examples.HEARTBEAT
    renewal = await result(client, "tasks.heartbeat", example.params)
    assert renewal["task_id"] == examples.RUNNING.task_id
    assert renewal["lease_expires_at"] == pytest.approx(clock.time() + 0.3)


def test_demo_mode_refuses_a_redis_store() -> None:
    settings = Settings(store="redis://127.0.0.1:6379/0", demo=True)
    with pytest.raises(StartupError, match="--store memory"):
        create_app(settings)


async def wrong_type() -> int:
    """Return a string although the schema says integer."""
    return "five"  # type: ignore[return-value]


async def refusing(thing: str) -> int:
    """Fail, as an example naming a record that is not there does."""
    raise ValueError(thing)


async def subscribe(ctx: CallContext) -> int:
    """Needs a stream (so it runs over the WebSocket), then returns the wrong type."""
    ctx.require_stream()
    return "six"  # type: ignore[return-value]


BAD = Namespace(
    "bad",
    [
        Method(wrong_type, examples=[Example("x", [], 5)]),
        Method(refusing, examples=[Example("x", ["it"], 1)]),
        Method(subscribe, examples=[Example("x", [], 6)]),
    ],
)


async def test_the_runner_reports_what_fails(make_client: MakeClient) -> None:
    client = await make_client(plugins=[Plugin([BAD])])
    ran, problems = await run_examples(client, "position")
    assert ran == 3
    text = "\n".join(problems)
    assert "bad.wrong_type 'x': result 'five' is not of type 'integer'" in text
    assert "bad.refusing 'x': " in text and "-32603" in text
    assert "bad.subscribe 'x': result 'six' is not of type 'integer'" in text  # it did run
