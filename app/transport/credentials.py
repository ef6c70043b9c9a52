"""From a request's ``Authorization`` header to the principal that makes its calls.

Only the ``admin`` scope is guarded so far: ``Authorization: Bearer <RPC_ADMIN_TOKEN>``
holds it, and any other caller is anonymous. Which error a guarded call gets says what
to do: send the token, send the right one, or configure one.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from aiohttp import hdrs

from app.rpc.access import ADMIN, Principal
from app.rpc.errors import Forbidden, Unauthorized


class Credentials:
    """Resolves principals; the few possible outcomes are built once, not per request."""

    def __init__(self, admin_token: str | None) -> None:
        self._token = admin_token.encode() if admin_token else None
        if self._token is None:
            disabled = Forbidden(data={"reason": "admin methods are disabled; set RPC_ADMIN_TOKEN"})
            self._anonymous = Principal("anonymous", refusal=disabled)
            self._wrong = self._anonymous
        else:
            missing = Unauthorized(data={"reason": "send Authorization: Bearer <admin token>"})
            wrong = Unauthorized(data={"reason": "the admin token is wrong"})
            self._anonymous = Principal("anonymous", refusal=missing)
            self._wrong = Principal("anonymous", refusal=wrong)
        self._admin = Principal(ADMIN, frozenset({ADMIN}))

    def principal(self, headers: Mapping[str, str]) -> Principal:
        """The principal of a request with these headers. Never log the credential."""
        header = headers.get(hdrs.AUTHORIZATION)
        if header is None:
            return self._anonymous
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return self._anonymous
        if self._token is not None and hmac.compare_digest(token.encode(), self._token):
            return self._admin
        return self._wrong
