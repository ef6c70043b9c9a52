"""Who is calling, and the engine's check of a method's declared scope.

The transport turns a request's credentials into a ``Principal`` once per request; the
engine checks each call's declared ``scope`` against it before the handler runs, so a
method cannot forget its own check. Methods that declare no scope are open to everyone.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.rpc.errors import Forbidden, RPCError

ADMIN = "admin"
"""The scope that grants every other scope."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of a request: a name for logs, the scopes it holds, and, when its
    credential was missing or refused, the error to answer a call it may not make."""

    name: str
    scopes: frozenset[str] = frozenset()
    refusal: RPCError | None = None

    def check(self, scope: str) -> None:
        """Raise unless this principal holds ``scope`` (or ``admin``)."""
        if scope in self.scopes or ADMIN in self.scopes:
            return
        if self.refusal is not None:
            raise self.refusal
        raise Forbidden(data={"required_scope": scope})


ANONYMOUS = Principal("anonymous")
