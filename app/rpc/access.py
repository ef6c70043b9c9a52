"""Who is calling, and the engine's check of a method's declared scope.

The transport turns a request's credentials into a ``Principal`` once per request; the
engine checks each call's scope against it before the handler runs, so a method cannot
forget its own check. Every method of a namespace needs a scope (the namespace's name
unless declared otherwise); only the engine's own ``rpc.*`` methods need none.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.rpc.errors import Forbidden, RPCError

ADMIN = "admin"
"""The scope that grants every other scope."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of a request: whom it owns resources as, and the scopes it holds.

    ``refusal`` is the error for a call it may not make when its credential was missing,
    wrong or throttled: that says what to do better than a bare "forbidden".
    """

    id: str
    """Stable and unique: what resources record as their owner (``key:<id>``, ``anonymous``)."""
    name: str
    """For logs: a key's name, never the key."""
    scopes: frozenset[str] = frozenset()
    refusal: RPCError | None = None

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.scopes

    def holds(self, scope: str) -> bool:
        return scope in self.scopes or ADMIN in self.scopes

    def check(self, scope: str) -> None:
        """Raise unless this principal holds ``scope`` (or ``admin``)."""
        if scope in self.scopes or ADMIN in self.scopes:
            return
        refusal = self.refusal
        if refusal is None:
            raise Forbidden(data={"required_scope": scope})
        raise type(refusal)(refusal.message, data={**(refusal.data or {}), "required_scope": scope})


ANONYMOUS = Principal("anonymous", "anonymous")
"""A caller with no credential and no scopes: what tests and embedders get by default."""
