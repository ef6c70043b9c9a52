"""``rpc-hub keys``: create, list and revoke API keys in the keys file.

    rpc-hub keys new --name ci --scopes tasks:submit,tasks:work [--expires-in-days 90]
    rpc-hub keys list
    rpc-hub keys revoke <id>

``--file`` defaults to ``RPC_KEYS_FILE``. ``new`` prints only the key, so a script can
capture it (``KEY=$(rpc-hub keys new ...)``); the file keeps its digest, never the key.
A running server picks changes up on SIGHUP.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from app.auth import keyfile

KEYS_FILE_ENV = "RPC_KEYS_FILE"


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    new = actions.add_parser("new", help="create a key and print it (only once)")
    new.add_argument("--name", required=True, help="who or what the key is for, for logs")
    new.add_argument(
        "--scopes", required=True, help="comma-separated scopes, such as calc,tasks:submit"
    )
    new.add_argument("--expires-in-days", type=float, help="the key stops working after this")
    listing = actions.add_parser("list", help="every key: id, name, scopes, state (never the key)")
    revoke = actions.add_parser("revoke", help="stop a key working, for good")
    revoke.add_argument("id", help="the key's id, as keys list shows it")
    for action in (new, listing, revoke):
        action.add_argument(
            "--file", default=os.environ.get(KEYS_FILE_ENV), help=f"the keys file [{KEYS_FILE_ENV}]"
        )
        action.set_defaults(parser=action)


def run(args: argparse.Namespace) -> int:
    if not args.file:
        args.parser.error(f"name the keys file with --file or {KEYS_FILE_ENV}")
    try:
        return _ACTIONS[args.action](args)
    except keyfile.KeyFileError as exc:
        print(f"rpc-hub keys: {exc}", file=sys.stderr)
        return 2


def _new(args: argparse.Namespace) -> int:
    scopes = [scope.strip() for scope in args.scopes.split(",") if scope.strip()]
    if not scopes:
        args.parser.error("--scopes needs at least one scope")
    if args.expires_in_days is not None and args.expires_in_days <= 0:
        args.parser.error("--expires-in-days must be positive")
    key, entry = keyfile.create(args.file, args.name, scopes, args.expires_in_days)
    print(f"created key {entry.id} ({entry.name})", file=sys.stderr)
    print(key)
    return 0


def _list(args: argparse.Namespace) -> int:
    now = time.time()
    for entry in keyfile.load(args.file).values():
        state = "revoked" if entry.revoked else "live" if entry.live(now) else "expired"
        expires = "never" if entry.expires_at is None else _date(entry.expires_at)
        print(f"{entry.id}  {state:7}  {entry.name}  {','.join(entry.scopes)}  expires {expires}")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    try:
        entry = keyfile.revoke(args.file, args.id)
    except KeyError:
        print(f"rpc-hub keys: no key {args.id!r} in {args.file}", file=sys.stderr)
        return 1
    print(f"revoked key {entry.id} ({entry.name}); send SIGHUP to running servers", file=sys.stderr)
    return 0


def _date(when: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(when))


_ACTIONS = {"new": _new, "list": _list, "revoke": _revoke}
