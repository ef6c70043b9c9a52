"""The ``rpc-hub worker`` command line: flags, plugin loading, and the exit status."""

from __future__ import annotations

import argparse
import asyncio
import os

from app import logs
from app.observe import tracing
from app.rpc.errors import InvalidParams
from app.worker import task_types
from app.worker.runner import Options, Worker, main

MAX_CAPACITY = 1000
"""The most tasks ``workers.register`` accepts as a worker's capacity."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``rpc-hub worker`` flags."""
    default = Options()
    parser.add_argument(
        "--url",
        default=os.environ.get("RPC_URL") or default.url,
        help=f"the server's /rpc [RPC_URL, default: {default.url}]",
    )
    parser.add_argument(
        "--transport",
        choices=["http", "ws"],
        default=default.transport,
        help="HTTP long-polls, or one WebSocket session for every call [http]",
    )
    parser.add_argument(
        "--types", type=_csv, default=(), help="comma-separated task types to run [all known]"
    )
    parser.add_argument(
        "--queues", type=_csv, default=default.queues, help="comma-separated queues [default]"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=default.concurrency,
        help=f"tasks run at once, 1 to {MAX_CAPACITY} [4]",
    )
    parser.add_argument("--name", default="", help="a name for people to read [host-pid]")
    parser.add_argument(
        "--key",
        "--token",
        dest="key",
        default=os.environ.get("RPC_KEY") or os.environ.get("RPC_TOKEN"),
        help="API key sent as Authorization: Bearer, one with the tasks:work scope "
        "[RPC_KEY, else RPC_TOKEN]",
    )
    parser.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="MODULE:ATTR",
        help="more task types: an async function or a mapping of names to them (repeatable)",
    )
    parser.add_argument(
        "--grace-s",
        type=float,
        default=default.grace_s,
        help="on SIGTERM, seconds running tasks get to finish before release [20]",
    )
    parser.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    parser.add_argument("--log-format", default="text", choices=["text", "json"])


def command(args: argparse.Namespace) -> int:
    """Run ``rpc-hub worker`` with parsed flags; the exit status."""
    logs.configure(args.log_format, args.log_level)
    if not 1 <= args.concurrency <= MAX_CAPACITY:
        args.parser.error(f"--concurrency must be from 1 to {MAX_CAPACITY}")
    try:
        types = task_types.load(args.plugin)
        options = Options(
            url=args.url,
            types=args.types,
            queues=args.queues,
            concurrency=args.concurrency,
            name=args.name,
            key=args.key,
            grace_s=args.grace_s,
            transport=args.transport,
        )
        Worker.check(options, types)
    except (ValueError, ImportError, AttributeError) as exc:
        args.parser.error(str(exc))
    try:
        asyncio.run(main(options, types, tracing.from_environment("rpc-hub-worker")))
    except InvalidParams as exc:  # the server refused the registration for good
        args.parser.exit(2, f"rpc-hub worker: the server refused to register it: {exc.data}\n")
    return 0


def _csv(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())
