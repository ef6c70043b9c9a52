"""``rpc.discover`` and ``GET /openrpc.json``: the OpenRPC document, naming the address it was
asked at.

Tools such as `@open-rpc/test-coverage` call `servers[0].url`, so the served document names
the `Host` the request came to (already checked against `--allowed-hosts`), with the scheme a
TLS proxy's `X-Forwarded-Proto` gives, not the default address the committed `openrpc.json`
shows. `X-Forwarded-Host` is not read: a shared cache could then keep a forged address.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import orjson

from app.rpc.context import CallContext
from app.rpc.namespace import Method

_HOST = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
    r"[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?"
)
"""A host[:port] fit to go into a URL as it is; anything else gets the default document."""
_SCHEMES = ("http", "https")
_CACHED = 64
"""Documents kept, one per address; with ``--allowed-hosts *`` any Host may ask."""


class Discovery:
    """The document as JSON, per address it is served at (each built once, then cached)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.default = orjson.dumps(document)
        self._served: OrderedDict[str, bytes] = OrderedDict()

    def served(self, headers: Mapping[str, str]) -> bytes:
        """The document whose ``servers`` name the address these request headers reached."""
        url = _url(headers)
        if url is None:
            return self.default
        document = self._served.get(url)
        if document is None:
            server = {"name": "this server", "url": url}
            document = orjson.dumps({**self.document, "servers": [server]})
            self._served[url] = document
            if len(self._served) > _CACHED:
                self._served.popitem(last=False)
        else:
            self._served.move_to_end(url)
        return document

    def method(self) -> Method:
        """The built-in ``rpc.discover``, answering with the pre-serialized document."""

        async def discover(ctx: CallContext) -> dict[str, Any]:
            """Return this server's OpenRPC document."""
            return orjson.Fragment(self.served(ctx.headers))  # type: ignore[return-value]

        return Method(discover, idempotent=True)


def _url(headers: Mapping[str, str]) -> str | None:
    host = headers.get("Host")
    if host is None or not _HOST.fullmatch(host):
        return None
    scheme = (_first(headers.get("X-Forwarded-Proto")) or "http").lower()
    return f"{scheme if scheme in _SCHEMES else 'http'}://{host}/rpc"


def _first(value: str | None) -> str | None:
    """A proxy chain's first (the client-facing) value of a comma-separated header."""
    return value.split(",", 1)[0].strip() if value else None
