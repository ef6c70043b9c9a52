"""`rpc-hub call` and `rpc-hub methods`: talk to a running server from the shell.

    rpc-hub call calc.add 2 3                         positional params: [2, 3]
    rpc-hub call weather.get_temperature city=London  named params: {"city": "London"}
    rpc-hub call --batch requests.json                a JSON array of requests ('-': stdin)
    rpc-hub call --follow tasks.submit type=echo      then each change of the task, live
    rpc-hub methods                                   every method, with its summary
    rpc-hub methods calc                              the methods of one namespace
    rpc-hub methods calc.divide                       one method's docs, params to examples

Each value is JSON where it parses (`2`, `true`, `[1,2]`, `"2"`), else a string.
Exit status: 0 on success, 1 when a JSON-RPC error came back (for a batch: any item) or
`methods` was given a name the server does not have, 2 for bad usage or unreadable input,
3 when the server could not be reached or did not answer with JSON-RPC, 4 when a task
followed with `--follow` ended failed, dead or cancelled.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import json
import os
import re
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from app.client.docs import method_page
from app.client.errors import ConnectionLost, TransportError
from app.client.http import Client
from app.client.output import Output
from app.client.ws import WsClient
from app.rpc.errors import RPCError
from app.tasks.models import TERMINAL, TaskState

DEFAULT_URL = "http://127.0.0.1:8080/rpc"
URL_ENV = "RPC_URL"
TOKEN_ENV = "RPC_TOKEN"  # noqa: S105 (the variable's name, not a secret)

OK, RPC_ERROR, USAGE, UNREACHABLE, TASK_FAILED = 0, 1, 2, 3, 4
INTERRUPTED = 130
"""The shell's status for a command ended by Ctrl-C (128 + SIGINT)."""
_ENDS = frozenset(state.value for state in TERMINAL)
_NAMED = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)


class Usage(Exception):
    """Input we cannot send; reported in one line with exit status 2."""


def configure_call(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("method", nargs="?", help="the method to call, e.g. calc.add")
    parser.add_argument(
        "params",
        nargs="*",
        metavar="ARG",
        help="key=value for named params, or bare values for positional ones (not both); "
        "each value is JSON where it parses, else a string",
    )
    parser.add_argument(
        "--batch",
        metavar="FILE",
        help="send the JSON array of requests in FILE ('-' reads standard input)",
    )
    parser.add_argument(
        "--raw", action="store_true", help="print the JSON-RPC response itself, not its result"
    )
    parser.add_argument(
        "--follow",
        action="store_true",
        help="call over a WebSocket; if the result names a task_id (tasks.submit), print each "
        "change of that task until it ends",
    )
    connection_arguments(parser)


def configure_methods(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "name",
        nargs="?",
        metavar="NAME",
        help="a method, to show its docs in full (params, result, errors, examples), "
        "or a namespace, to list only its methods",
    )
    connection_arguments(parser)


def connection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        default=os.environ.get(URL_ENV) or DEFAULT_URL,
        help=f"the server's JSON-RPC endpoint [{URL_ENV}, default: {DEFAULT_URL}]",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get(TOKEN_ENV) or None,
        help=f"bearer token sent in the Authorization header [{TOKEN_ENV}]",
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for the answer [default: 30]"
    )


def run_call(args: argparse.Namespace) -> int:
    """Send one call, or a batch, and print the outcome."""
    output = Output()
    try:
        if args.follow and (args.batch is not None or args.raw):
            raise Usage("--follow takes one method and its params, without --batch or --raw")
        if args.batch is not None:
            return run(output, args, _send(output, args, _batch(args)))
        request = _request(args)
    except Usage as problem:
        output.fail(str(problem))
        return USAGE
    if args.follow:
        return run(output, args, _follow(output, args, request))
    return run(output, args, _send(output, args, request))


def run_methods(args: argparse.Namespace) -> int:
    """List the methods with their summaries, or show one in full, from `rpc.discover`."""
    output = Output()
    return run(output, args, _methods(output, args))


def parse_value(text: str) -> Any:
    """`text` as JSON where it parses exactly, else the string itself."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except ValueError:
        return text
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return text  # a literal such as 1e400 that no JSON number can carry
    return value


def parse_params(values: list[str]) -> list[Any] | dict[str, Any] | None:
    """`key=value` words as named params, bare words as positional ones."""
    named = [_NAMED.match(value) for value in values]
    if all(named) and values:
        return {match.group(1): parse_value(match.group(2)) for match in named if match}
    if any(named):
        raise Usage("give params either all as key=value (by name) or all bare (by position)")
    return [parse_value(value) for value in values] or None


def _request(args: argparse.Namespace) -> dict[str, Any]:
    if not args.method:
        raise Usage("name a method (rpc-hub call calc.add 2 3), or give --batch FILE")
    request: dict[str, Any] = {"jsonrpc": "2.0", "method": args.method, "id": 1}
    params = parse_params(args.params)
    if params is not None:
        request["params"] = params
    return request


def _batch(args: argparse.Namespace) -> list[Any]:
    if args.method or args.params:
        raise Usage("--batch FILE takes no method or params; put them in the file")
    name = "standard input" if args.batch == "-" else args.batch
    try:
        text = sys.stdin.read() if args.batch == "-" else Path(args.batch).read_text()
        batch = json.loads(text, parse_constant=_refuse_constant)
    except OSError as exc:
        raise Usage(f"cannot read {name}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise Usage(f"{name} is not JSON: {exc}") from None
    if not isinstance(batch, list):
        raise Usage(f"{name} must hold a JSON array of requests")
    return batch


async def _send(output: Output, args: argparse.Namespace, payload: Any) -> int:
    async with _client(args) as client:
        response = await client.send(payload)
    if response is None:
        pass  # only notifications were sent: HTTP 204, nothing to show
    elif args.raw:
        output.json(response)
    elif isinstance(payload, list):
        output.batch(payload, response)
    elif isinstance(response, dict) and "error" in response:
        output.error(response["error"])
    elif isinstance(response, dict) and "result" in response:
        output.result(response["result"])
    else:
        raise TransportError(200, repr(response).encode())
    return RPC_ERROR if _has_error(response) else OK


async def _follow(output: Output, args: argparse.Namespace, request: dict[str, Any]) -> int:
    """Make the call over a WebSocket, then follow the task its result names until it ends.

    Submitting first and subscribing after misses nothing: `tasks.subscribe` with a
    `task_id` first sends the task as it is now, and always tells its end.
    """
    params = request.get("params")
    args_, kwargs = (params, {}) if isinstance(params, list) else ((), params or {})
    async with WsClient(args.url, key=args.token, timeout=args.timeout) as ws:
        try:
            result = await ws.call(request["method"], *args_, **kwargs)
        except RPCError as error:
            output.error(error.to_error())
            return RPC_ERROR
        output.result(result)
        task_id = result.get("task_id") if isinstance(result, dict) else None
        if not isinstance(task_id, str):
            output.fail("--follow: the result names no task_id to follow")
            return OK
        async with ws.subscribe("tasks.subscribe", task_id=task_id) as changes:
            async for change in changes:
                output.event(change)
                state = change.get("state") if isinstance(change, dict) else None
                if state in _ENDS:
                    return OK if state == TaskState.SUCCEEDED else TASK_FAILED
    output.fail(f"the subscription to task {task_id} ended before the task did")
    return UNREACHABLE


async def _methods(output: Output, args: argparse.Namespace) -> int:
    async with _client(args) as client:
        document = await client.call("rpc.discover")
    methods: list[dict[str, Any]] = document["methods"]
    if args.name is None:
        output.methods(methods)
        return OK
    for method in methods:
        if method["name"] == args.name:
            output.markdown(method_page(method, document.get("components", {}).get("schemas", {})))
            return OK
    namespace = [method for method in methods if method["name"].startswith(f"{args.name}.")]
    if namespace:
        output.methods(namespace)
        return OK
    names = [method["name"] for method in methods]
    close = difflib.get_close_matches(args.name, names, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else "; rpc-hub methods lists them"
    output.fail(f"{args.url} has no method or namespace {args.name}{hint}")
    return RPC_ERROR


def _client(args: argparse.Namespace) -> Client:
    return Client(args.url, token=args.token, timeout=args.timeout)


def run(
    output: Output,
    args: argparse.Namespace,
    work: Coroutine[Any, Any, int],
    interrupted: int = INTERRUPTED,
) -> int:
    """Run `work`; turn every way of failing to reach the server into one line, and Ctrl-C
    into the exit status `interrupted`."""
    url = args.url
    try:
        return asyncio.run(work)
    except KeyboardInterrupt:
        return interrupted
    except RPCError as error:  # the request was refused as a whole (415, 413, a parse error)
        output.error(error.to_error())
        return RPC_ERROR
    except aiohttp.ClientConnectorError as exc:
        problem = exc.os_error
        reason = os.strerror(problem.errno) if problem.errno else str(problem)
        output.fail(f"cannot connect to {url} ({reason})")
    except aiohttp.InvalidURL:
        output.fail(f"not a usable URL: {url}")
    except aiohttp.ClientError as exc:
        output.fail(f"the request to {url} failed: {exc or type(exc).__name__}")
    except ConnectionLost as exc:
        output.fail(f"lost the connection to {url}: {exc}")
    except TimeoutError:
        output.fail(f"no answer from {url} within {args.timeout:g} s")
    except TransportError as exc:
        output.fail(f"{url} did not answer with JSON-RPC (HTTP {exc.status})")
    except orjson.JSONEncodeError as exc:  # e.g. an integer beyond 64 bits in a batch file
        output.fail(f"cannot send this as JSON: {exc}")
        return USAGE
    return UNREACHABLE


def _has_error(response: Any) -> bool:
    if isinstance(response, list):
        return any(isinstance(item, dict) and "error" in item for item in response)
    return isinstance(response, dict) and "error" in response


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
