"""Every typed key the application and its requests carry (aiohttp's AppKey/RequestKey)."""

from __future__ import annotations

from aiohttp import web

from app.rpc.dispatch import Dispatcher
from app.rpc.registry import Registry
from app.settings import Settings
from app.store import Store

SETTINGS = web.AppKey("settings", Settings)
REGISTRY = web.AppKey("registry", Registry)
OPENRPC_JSON = web.AppKey("openrpc_json", bytes)
"""The OpenRPC document, serialized once."""
STORE = web.AppKey("store", Store)
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
