"""The ``rpc-hub`` command: serve | openrpc."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

import orjson
from pydantic import ValidationError

from app import __version__, logs, settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rpc-hub", description=__doc__)
    parser.add_argument("--version", action="version", version=f"rpc-hub {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the JSON-RPC server")
    settings.add_arguments(serve)

    document = commands.add_parser("openrpc", help="print the OpenRPC document")
    settings.add_arguments(document)

    args = parser.parse_args(argv)
    try:
        config = settings.load(args)
    except ValidationError as exc:
        parser.error(_settings_errors(exc))
    if args.command == "serve":
        from app.serve import serve as run

        logs.configure(config.log_format, config.log_level)
        asyncio.run(run(config))
        return 0
    from app.server import build_api

    _, spec = build_api(config)
    sys.stdout.write(orjson.dumps(spec, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


def _settings_errors(exc: ValidationError) -> str:
    return "; ".join(
        f"{settings.flag_name(str(error['loc'][0]))}: {error['msg']}" for error in exc.errors()
    )
