"""The ``rpc-hub`` command. Each subcommand is one entry of ``COMMANDS``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from app import __version__, logs, settings
from app.auth import command as keys_command
from app.client import chat, live
from app.client import commands as remote
from app.settings import Settings


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _serve(args: argparse.Namespace) -> int:
    from app.server import loop, processes
    from app.server.run import serve
    from app.stores import StartupError

    config = _settings(args)
    parser: argparse.ArgumentParser = args.parser
    if (refusal := processes.refusal(config)) is not None:
        parser.error(refusal)
    logs.configure(config.log_format, config.log_level, floods=logs.SERVER_FLOODS)
    try:
        loop.chosen(config.loop)  # before any process starts: each would fail the same way
        if config.processes > 1:
            return processes.supervise(config)
        loop.run(serve(config), config.loop)
    except StartupError as error:
        parser.exit(1, f"rpc-hub serve: {error}\n")
    return 0


def _openrpc_arguments(parser: argparse.ArgumentParser) -> None:
    settings.add_arguments(parser)
    parser.add_argument(
        "--diff",
        metavar="OLD.json",
        help="list what changed since OLD.json (- reads it from stdin), each change breaking "
        "or additive, instead of printing the document; exit 1 if any is breaking",
    )


def _openrpc(args: argparse.Namespace) -> int:
    from app.server import build_api

    _, document = build_api(_settings(args))
    if args.diff is not None:
        return _openrpc_diff(args.parser, args.diff, document)
    sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


def _openrpc_diff(parser: argparse.ArgumentParser, source: str, document: dict[str, Any]) -> int:
    from app.rpc import openrpc_diff

    name = "stdin" if source == "-" else source
    try:
        old = orjson.loads(sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes())
        changes = openrpc_diff.diff(old, document)
    except OSError as error:
        parser.exit(2, f"rpc-hub openrpc: cannot read {name}: {error.strerror}\n")
    except (orjson.JSONDecodeError, openrpc_diff.DocumentError) as error:
        parser.exit(2, f"rpc-hub openrpc: {name}: {error}\n")
    sys.stdout.writelines(f"{change}\n" for change in changes)
    sys.stderr.write(f"rpc-hub openrpc: {openrpc_diff.summary(changes, old, document)}\n")
    return 1 if openrpc_diff.breaking(changes) else 0


def _worker_arguments(parser: argparse.ArgumentParser) -> None:
    from app.worker.command import add_arguments

    add_arguments(parser)


def _worker(args: argparse.Namespace) -> int:
    from app.worker.command import command

    return command(args)


COMMANDS = [
    Command("serve", "run the JSON-RPC server", settings.add_arguments, _serve),
    Command(
        "openrpc",
        "print the OpenRPC document, or what changed since an older one",
        _openrpc_arguments,
        _openrpc,
    ),
    Command("call", "call a method on a running server", remote.configure_call, remote.run_call),
    Command(
        "methods",
        "list a running server's methods",
        remote.configure_methods,
        remote.run_methods,
    ),
    Command(
        "subscribe",
        "print a subscription's events as they come",
        live.configure_subscribe,
        live.run_subscribe,
    ),
    Command("chat", "chat in a room on a running server", chat.configure_chat, chat.run_chat),
    Command("worker", "run a task worker", _worker_arguments, _worker),
    Command("keys", "create, list and revoke API keys", keys_command.configure, keys_command.run),
]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rpc-hub", description="A JSON-RPC 2.0 server and tools.")
    parser.add_argument("--version", action="version", version=f"rpc-hub {__version__}")
    subcommands = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        sub = subcommands.add_parser(command.name, help=command.help, description=command.help)
        command.configure(sub)
        sub.set_defaults(run=command.run, parser=sub)
    args = parser.parse_args(argv)
    return int(args.run(args))


def _settings(args: argparse.Namespace) -> Settings:
    try:
        return settings.load(args)
    except ValidationError as exc:
        problems = "; ".join(
            f"{settings.flag_name(str(error['loc'][0]))}: {error['msg']}" for error in exc.errors()
        )
        parser: argparse.ArgumentParser = args.parser
        parser.error(problems)


if __name__ == "__main__":
    sys.exit(main())
