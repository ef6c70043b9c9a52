"""Who may use a cart or an order: the rule every backend applies, in one place.

A cart made with a key belongs to that key's principal; only it, and ``admin``, may read or
change it, and so its order. A cart made anonymously belongs to nobody: its unguessable id
stays its only credential, as before keys existed, so anyone holding the id may use it.
Everyone else is told "not found", exactly as for an id that never existed.
"""

from __future__ import annotations

from app.rpc.access import ANONYMOUS, Principal

Owner = str | None
"""A principal id, or None for a cart (and its order) that anyone with its id may use."""


def owner_of(caller: Principal) -> Owner:
    """Whom what ``caller`` creates belongs to: the caller, unless it is anonymous."""
    # Every anonymous caller shares one principal id, so owning by it would protect nothing.
    return None if caller.id == ANONYMOUS.id else caller.id


def may_use(caller: Principal, owner: Owner) -> bool:
    """Whether ``caller`` may read and change what ``owner`` owns.

    ``admin`` may, for any owner: it is the operator, as with other principals' tasks.
    """
    return owner is None or owner == caller.id or caller.is_admin
