"""Every method's examples agree with its schemas, and its first example runs on a fresh app.

The rule for examples that need prior state
-------------------------------------------
Examples are documentation, so they show realistic values, and some name things that only
exist after another call (a cart id from ``cart.create``, a task from ``tasks.submit``).
Each namespace therefore gets a fresh app of its own, and its methods' first examples run
there **in declaration order**: declare the method that creates something before the ones
that use it, and an example that names a caller-chosen key (a player name, an idempotency
key) finds what the earlier example made.

On that fresh app, a first example must either

- succeed with a result that matches the method's declared result schema, or
- fail with one of **the method's own declared errors whose category means "the state is
  not there"**: ``NotFound``, ``Conflict`` or ``InvalidState`` (an id the server generated
  cannot be known in advance).

Anything else fails the test: a result outside the schema, invalid params, an undeclared
error, a declared error of another category (``calc.divide``'s DivisionByZero says the
example is wrong, not the state), an internal error, or a call that does not finish (a
long-poll's first example should not wait). And in each namespace at least one first example
must succeed, so a namespace cannot pass with examples that all fail.

Calls carry an admin token, so admin methods are exercised rather than refused. Methods
that manage subscriptions (``<ns>.subscribe``, ``<ns>.unsubscribe``) need a stream, so theirs
run over one WebSocket per namespace, opened with the same token; the rule is the same.
Statically, every example (not only the first) must match its method's params and result
schemas.
"""

from __future__ import annotations

import asyncio

import orjson
import pytest

from app.plugins import Plugin
from app.rpc.context import CallContext
from app.rpc.errors import Conflict, InvalidState, NotFound
from app.rpc.namespace import Example, Method, Namespace
from app.rpc.registry import Registry
from app.server import build_api
from app.server.builtin import BUILTIN
from app.server.keys import REGISTRY
from app.settings import Settings
from handlers import NAMESPACES
from tests.helpers.openrpc_schemas import example_params, params_errors, result_errors
from tests.helpers.rpc import Client, MakeClient, post, result
from tests.helpers.ws import Socket, connect

STATE_ERRORS = (NotFound, Conflict, InvalidState)
ADMIN_TOKEN = "examples-admin-token"
AS_ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
CALL_TIMEOUT_S = 5.0
"""The server's own per-call limit here; a first example that waits for longer is a problem."""


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


def needs_stream(name: str) -> bool:
    return name.endswith((".subscribe", ".unsubscribe"))


async def run_first_examples(client: Client, namespace: str) -> tuple[list[str], list[str]]:
    """Call each method of ``namespace`` with its first example's params, in declaration
    order; return the methods that succeeded and the problems found, per the module's rule.
    """
    registry: Registry = client.app[REGISTRY]
    document = await result(client, "rpc.discover")
    succeeded, problems = [], []
    socket: Socket | None = None
    for method in document["methods"]:
        name = method["name"]
        if not name.startswith(namespace + "."):
            continue
        declared = registry.get(name)
        assert declared is not None
        first = declared.declared.examples[0]
        request = {"jsonrpc": "2.0", "method": name, "params": first.params, "id": 1}
        try:
            async with asyncio.timeout(CALL_TIMEOUT_S * 3):  # a hang guard only
                if needs_stream(name):
                    if socket is None:
                        socket = await connect(client, headers=AS_ADMIN)
                    status, response = 200, await socket.call(name, first.params)
                else:
                    status, response = await post(client, request, **AS_ADMIN)
        except TimeoutError:
            problems.append(f"{name}: no answer to its first example on a fresh app")
            continue
        if status != 200 or not isinstance(response, dict):
            problems.append(f"{name}: HTTP {status} {response!r}")
        elif "result" in response:
            errors = result_errors(document, method, response["result"])
            problems += [f"{name}: {error} (got {response['result']!r})" for error in errors]
            if not errors:
                succeeded.append(name)
        else:
            code = response["error"]["code"]
            state_codes = {e.code for e in declared.declared.errors if issubclass(e, STATE_ERRORS)}
            if code not in state_codes:
                problems.append(
                    f"{name}: its first example failed with {orjson.dumps(response['error'])!r};"
                    f" on a fresh app only its declared state errors {sorted(state_codes)} may"
                    " occur"
                )
    if socket is not None:
        await socket.close()
    if not succeeded:
        problems.append(f"{namespace}: no first example succeeds on a fresh app")
    return succeeded, problems


@pytest.mark.parametrize("namespace", NAMESPACES, ids=[ns.name for ns in NAMESPACES])
async def test_first_examples_run_on_a_fresh_app(
    make_client: MakeClient, namespace: Namespace
) -> None:
    client = await make_client(
        plugins=[BUILTIN], admin_token=ADMIN_TOKEN, call_timeout_s=CALL_TIMEOUT_S
    )
    succeeded, problems = await run_first_examples(client, namespace.name)
    assert problems == []
    assert succeeded


async def test_calc_examples_all_succeed(make_client: MakeClient) -> None:
    """calc has no state: the rule leaves its examples no way out but to succeed."""
    client = await make_client(plugins=[BUILTIN], admin_token=ADMIN_TOKEN)
    succeeded, problems = await run_first_examples(client, "calc")
    assert problems == []
    assert len(succeeded) == len(next(ns for ns in NAMESPACES if ns.name == "calc").methods)


class Gone(NotFound):
    code = 9201
    message = "Gone"


class Broken(Conflict):
    code = 9202
    message = "Broken"


async def wrong_type() -> int:
    """Return a string although the schema says integer."""
    return "five"  # type: ignore[return-value]


async def undeclared() -> int:
    """Raise a state error it does not declare."""
    raise Gone()


async def declared(thing: str) -> int:
    """Raise a declared state error: allowed on a fresh app."""
    raise Gone(data={"thing": thing})


async def bad_params(n: int) -> int:
    """Its example passes a string."""
    return n


async def subscribe(ctx: CallContext) -> int:
    """Needs a stream (so it runs over the WebSocket), then returns the wrong type."""
    ctx.require_stream()
    return "six"  # type: ignore[return-value]


BAD = Namespace(
    "bad",
    [
        Method(wrong_type, examples=[Example("x", [], 5)]),
        Method(undeclared, errors=[Broken], examples=[Example("x", [], 1)]),
        Method(declared, errors=[Gone], examples=[Example("x", ["it"], 1)]),
        Method(bad_params, examples=[Example("x", ["7"], 7)]),
        Method(subscribe, examples=[Example("x", [], 6)]),
    ],
)


async def test_the_rule_catches_bad_examples(make_client: MakeClient) -> None:
    client = await make_client(plugins=[Plugin([BAD])], admin_token=ADMIN_TOKEN)
    succeeded, problems = await run_first_examples(client, "bad")
    assert succeeded == []
    text = "\n".join(problems)
    assert "bad.wrong_type: result 'five' is not of type 'integer'" in text
    assert "bad.undeclared: its first example failed" in text
    assert "bad.declared" not in text
    assert "bad.bad_params: its first example failed" in text and "-32602" in text
    assert "bad.subscribe: result 'six' is not of type 'integer'" in text  # it did run
    assert "bad: no first example succeeds on a fresh app" in text
