"""One module per namespace. Each exports `namespace`; the app serves those listed here."""

from __future__ import annotations

from app.rpc.namespace import Namespace
from handlers import calc, cart, chat, game, tasks, weather, workers

NAMESPACES: tuple[Namespace, ...] = (
    calc.namespace,
    weather.namespace,
    cart.namespace,
    game.namespace,
    tasks.namespace,
    workers.namespace,
    chat.namespace,
)

API_VERSION = "0.1.0"
"""The semantic version of the API these namespaces make up: OpenRPC's `info.version`.

It is not the package's version: a release that changes no method keeps it. While the major
is 0, a breaking change bumps the minor (the caret convention: 0.1 to 0.2 is as 1.x to 2.0)
and an additive one the patch; `rpc-hub openrpc --diff` tells which a change is.
"""
