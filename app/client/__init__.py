"""The Python client for rpc-hub (or any JSON-RPC 2.0 server over HTTP), and the
``rpc-hub call`` and ``rpc-hub methods`` commands built on it.

    from app.client import Client, RemoteError, TransportError

http.py      ``Client`` and ``Batch``: calls, notifications and batches over aiohttp, in
             jsonrpcclient's envelopes, errors raised by code, idempotent calls retried
errors.py    the client's own exceptions: ``RemoteError``, ``TransportError``
commands.py  ``rpc-hub call`` and ``rpc-hub methods``: flags, params from words, exit status
output.py    what those commands print: rich on a terminal, plain JSON or lines when piped
"""

from app.client.errors import RemoteError, TransportError
from app.client.http import Batch, Client

__all__ = ["Batch", "Client", "RemoteError", "TransportError"]
