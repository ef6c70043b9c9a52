"""New ids and secret tokens for the stores' records, from `secrets`.

Each backend mints the ids and tokens of what it creates (carts, orders, players, tasks,
leases, workers) from the `Ids` in its `StoreContext`, saying which kind each is. One source
per app, injected like the clock: demo mode (`app.server.demo`) hands the records it seeds
the ids and tokens that OpenRPC's examples name.
"""

from __future__ import annotations

import secrets
from typing import Literal

IdKind = Literal[
    "cart", "order", "player", "player_token", "task", "lease", "worker", "worker_token"
]


class Ids:
    """Random ids and tokens: unguessable, so an id can be its holder's credential."""

    def new(self, kind: IdKind, nbytes: int, prefix: str = "") -> str:
        """A new id of `kind`: `prefix`, then `nbytes` random bytes in base64url."""
        return prefix + secrets.token_urlsafe(nbytes)


RANDOM = Ids()
"""What every store uses unless its context says otherwise."""
