"""The built-in plugin: rpc-hub's own namespaces, and the backends of their stores.

This is the one place that names backends; handlers know only the store Protocols.
"""

from __future__ import annotations

from app.cart.memory import MemoryCartStore
from app.cart.redis import RedisCartStore
from app.cart.store import CartStore
from app.chat.memory import MemoryChatStore
from app.chat.redis import RedisChatStore
from app.chat.store import ChatStore
from app.events.memory import MemoryEventStore
from app.events.redis import RedisEventStore
from app.events.store import EventStore
from app.game.memory import MemoryGameStore
from app.game.redis import RedisGameStore
from app.game.store import GameStore
from app.limits.memory import MemoryRateLimitStore
from app.limits.redis import RedisRateLimitStore
from app.limits.store import RateLimitStore
from app.plugins import Plugin, Provider
from app.tasks.memory import MemoryTaskStore
from app.tasks.redis import RedisTaskStore
from app.tasks.store import TaskStore
from app.weather.memory import MemoryWeatherStore
from app.weather.redis import RedisWeatherStore
from app.weather.store import WeatherStore
from handlers import NAMESPACES

ENGINE = Plugin(
    [],
    stores=[
        Provider(RateLimitStore, memory=MemoryRateLimitStore, redis=RedisRateLimitStore),
        Provider(EventStore, memory=MemoryEventStore, redis=RedisEventStore),
    ],
)
"""What the server itself keeps, whatever it serves: every caller's rate limit, and the
topics that subscriptions follow (plugins publish on them too)."""

BUILTIN = Plugin(
    NAMESPACES,
    stores=[
        Provider(CartStore, memory=MemoryCartStore, redis=RedisCartStore),
        Provider(ChatStore, memory=MemoryChatStore, redis=RedisChatStore),
        Provider(GameStore, memory=MemoryGameStore, redis=RedisGameStore),
        Provider(TaskStore, memory=MemoryTaskStore, redis=RedisTaskStore),
        Provider(WeatherStore, memory=MemoryWeatherStore, redis=RedisWeatherStore),
    ],
)
