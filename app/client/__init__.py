"""The Python client for rpc-hub (or any JSON-RPC 2.0 server over HTTP or WebSocket), and
the `rpc-hub` commands built on it.

    from app.client import Client, RemoteError, TransportError

http.py          `Client` and `Batch`: calls, notifications and batches over aiohttp, in
                 jsonrpcclient's envelopes, errors raised by code, idempotent calls retried
ws.py            `WsClient` (`Client.connect_ws`): calls and subscriptions over one
                 WebSocket, reconnecting and resuming where each subscription was
subscription.py  `Subscription`: one subscription's results, as an async iterator
caller.py        `Caller`: what either client offers code that only makes calls (the worker)
params.py        params from a Python call's arguments, refusing NaN and infinities
errors.py        the client's own exceptions (`RemoteError`, `TransportError`,
                 `ConnectionLost`), and error objects mapped to exceptions by code
commands.py      `rpc-hub call` and `rpc-hub methods`: flags, params from words, exit status
docs.py          one method's OpenRPC entry as a CommonMark page (`rpc-hub methods NAME`)
live.py          `rpc-hub subscribe` and `rpc-hub call --follow`: printing what is pushed
chat.py          `rpc-hub chat`: a chat room on a terminal
output.py        what those commands print: rich on a terminal, plain JSON or lines when piped
"""

from app.client.caller import Caller
from app.client.errors import ConnectionLost, RemoteError, TransportError
from app.client.http import Batch, Client
from app.client.subscription import Subscription
from app.client.ws import WsClient

__all__ = [
    "Batch",
    "Caller",
    "Client",
    "ConnectionLost",
    "RemoteError",
    "Subscription",
    "TransportError",
    "WsClient",
]
