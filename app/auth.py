"""Who may call what. For now one rule: admin methods need the configured admin token."""

from __future__ import annotations

import secrets

from app.rpc.context import CallContext
from app.rpc.errors import Forbidden, Unauthorized
from app.settings import Settings


def require_admin(ctx: CallContext, settings: Settings) -> None:
    """Raise unless the call carries ``Authorization: Bearer <admin token>``."""
    if settings.admin_token is None:
        raise Forbidden(data={"reason": "admin methods are disabled; set RPC_ADMIN_TOKEN"})
    if ctx.token is None:
        raise Unauthorized(data={"reason": "send Authorization: Bearer <admin token>"})
    if not secrets.compare_digest(ctx.token.encode(), settings.admin_token.encode()):
        raise Unauthorized(data={"reason": "the admin token is wrong"})
