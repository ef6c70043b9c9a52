"""One module per namespace. Each exports ``namespace``; the app serves those listed here."""

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
