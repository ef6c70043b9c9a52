"""GET /metrics reports the domains' own metrics, read from each store as it is scraped: a
task submitted, an order paid and a player joined over /rpc are counted, on either backend."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.server.builtin import BUILTIN
from tests.api.test_metrics import scrape, value
from tests.helpers import redis_server
from tests.helpers.cart import checkout_params, new_cart
from tests.helpers.rpc import MakeClient, result

BACKENDS = [
    pytest.param({}, id="memory"),
    pytest.param("redis", id="redis", marks=redis_server.needs_redis),
]
DOMAINS = ("rpc_tasks", "rpc_workers_", "rpc_cart_", "rpc_game_", "rpc_weather_")


def backend(which: dict[str, Any] | str) -> dict[str, Any]:
    """The app's settings: memory, or the session's Redis under a fresh prefix (the built-in
    plugins only: the tests' recording card processor has no Redis backend)."""
    if which == "redis":
        url, prefix = redis_server.shared().url, redis_server.fresh_prefix()
        return {"store": url, "redis_prefix": prefix, "plugins": [BUILTIN]}
    assert isinstance(which, dict)
    return which


@pytest.mark.parametrize("store", BACKENDS)
async def test_a_task_an_order_and_a_player_are_counted(
    make_client: MakeClient, store: dict[str, Any] | str
) -> None:
    client = await make_client(**backend(store))
    before = await scrape(client)
    assert value(before, "rpc_cart_orders_total") == 0
    assert value(before, "rpc_game_active_players") == 0
    assert "rpc_tasks" not in before  # no queue holds a task yet

    await result(client, "tasks.submit", {"type": "compute", "queue": "reports"})
    cart_id = await new_cart(client, ("book", 2))
    order = await result(client, "cart.checkout", checkout_params(cart_id, "k"))
    await result(client, "game.join", {"name": "Ada"})

    after = await scrape(client)
    assert value(after, "rpc_tasks", state="pending", queue="reports") == 1
    assert value(after, "rpc_tasks", state="running", queue="reports") == 0
    assert value(after, "rpc_tasks_oldest_pending_age_seconds", queue="reports") >= 0
    assert value(after, "rpc_cart_orders_total") == 1
    revenue = value(after, "rpc_cart_revenue_total", currency=order["currency"])
    assert revenue == float(Decimal(order["total"]))
    assert value(after, "rpc_game_active_players") == 1
    assert value(after, "rpc_weather_provider_calls_total", outcome="ok") == 0
    # Every domain metric's series were there before the first call, except tasks' by queue.
    domains = {name for name in after if name.startswith(DOMAINS)}
    assert domains - set(before) == {"rpc_tasks", "rpc_tasks_oldest_pending_age_seconds"}
    for name in domains:
        for labels in after[name]:
            assert {label for label, _ in labels} <= {"state", "queue", "currency", "outcome"}
