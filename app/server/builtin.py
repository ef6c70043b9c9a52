"""The built-in plugin: rpc-hub's own namespaces, and the backends of their stores.

This is the one place that names backends; handlers know only the store Protocols. The Redis
backends are named by reference and imported only when a ``redis://`` store builds them:
importing them (and redis-py) cost every start about 0.1 s, memory stores included.
"""

from __future__ import annotations

from app.cart.memory import MemoryCartStore
from app.cart.store import CartStore
from app.chat.memory import MemoryChatStore
from app.chat.store import ChatStore
from app.events.memory import MemoryEventStore
from app.events.store import EventStore
from app.game.memory import MemoryGameStore
from app.game.store import GameStore
from app.limits.memory import MemoryRateLimitStore
from app.limits.store import RateLimitStore
from app.plugins import BackendFactory, Plugin, Provider
from app.references import resolve
from app.stores import Backend, StoreContext
from app.tasks.memory import MemoryTaskStore
from app.tasks.store import TaskStore
from app.weather.memory import MemoryWeatherStore
from app.weather.store import WeatherStore
from handlers import NAMESPACES


def _on_redis(reference: str) -> BackendFactory:
    """The backend ``reference`` names (``module:class``), imported when first built."""

    def build(context: StoreContext) -> Backend:
        factory: BackendFactory = resolve(reference)
        return factory(context)

    return build


ENGINE = Plugin(
    [],
    stores=[
        Provider(
            RateLimitStore,
            memory=MemoryRateLimitStore,
            redis=_on_redis("app.limits.redis:RedisRateLimitStore"),
        ),
        Provider(
            EventStore, memory=MemoryEventStore, redis=_on_redis("app.events.redis:RedisEventStore")
        ),
    ],
)
"""What the server itself keeps, whatever it serves: every caller's rate limit, and the
topics that subscriptions follow (plugins publish on them too)."""

BUILTIN = Plugin(
    NAMESPACES,
    stores=[
        Provider(
            CartStore, memory=MemoryCartStore, redis=_on_redis("app.cart.redis:RedisCartStore")
        ),
        Provider(
            ChatStore, memory=MemoryChatStore, redis=_on_redis("app.chat.redis:RedisChatStore")
        ),
        Provider(
            GameStore, memory=MemoryGameStore, redis=_on_redis("app.game.redis:RedisGameStore")
        ),
        Provider(
            TaskStore, memory=MemoryTaskStore, redis=_on_redis("app.tasks.redis:RedisTaskStore")
        ),
        Provider(
            WeatherStore,
            memory=MemoryWeatherStore,
            redis=_on_redis("app.weather.redis:RedisWeatherStore"),
        ),
    ],
)
