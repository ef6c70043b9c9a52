"""``rpc-hub subscribe``: follow a ``<ns>.subscribe`` over a WebSocket and print each event.

    rpc-hub subscribe tasks.subscribe                   every change of your tasks
    rpc-hub subscribe tasks.subscribe task_id=t_…       one task
    rpc-hub subscribe weather.subscribe city=London     | jq .temperature

Params are words as for ``rpc-hub call``, by name only (a reconnect adds ``since``). Each
event's ``result`` is printed as it comes: highlighted on a terminal, one JSON object per
line when piped. If the socket drops, it reconnects and resumes, saying on stderr whether
anything was missed. Ctrl-C exits 0; a subscription the server ends with an error, 1.
"""

from __future__ import annotations

import argparse

from app.client.commands import (
    OK,
    UNREACHABLE,
    USAGE,
    Usage,
    connection_arguments,
    parse_params,
    run,
)
from app.client.output import Output
from app.client.subscription import Subscription
from app.client.ws import WsClient


def configure_subscribe(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("method", help="the subscribe method, e.g. tasks.subscribe")
    parser.add_argument(
        "params",
        nargs="*",
        metavar="KEY=VALUE",
        help="named params; each value is JSON where it parses, else a string",
    )
    connection_arguments(parser)


def run_subscribe(args: argparse.Namespace) -> int:
    """Print each event of one subscription until Ctrl-C."""
    output = Output()
    try:
        params = parse_params(args.params)
        if isinstance(params, list):
            raise Usage("give subscribe's params by name (key=value)")
    except Usage as problem:
        output.fail(str(problem))
        return USAGE
    return run(output, args, _subscribe(output, args, params or {}), interrupted=OK)


async def _subscribe(output: Output, args: argparse.Namespace, params: dict[str, object]) -> int:
    async with (
        WsClient(args.url, key=args.token, timeout=args.timeout) as ws,
        ws.subscribe(args.method, **params) as events,
    ):
        if output.err.is_terminal:
            output.note(f"subscribed to {args.method}; Ctrl-C to stop")
        resumed = 0
        async for event in events:
            if events.resumed != resumed:
                resumed = events.resumed
                _resumed(output, events)
            output.event(event)
    output.fail(f"the subscription to {args.method} ended")
    return UNREACHABLE


def _resumed(output: Output, events: Subscription) -> None:
    if events.recovered:
        output.note("reconnected; nothing was missed")
    else:
        output.note("reconnected; events from while it was away may be missing")
