"""Every typed key the application carries (aiohttp's AppKey)."""

from __future__ import annotations

from aiohttp import web

from app.observe.metrics import Metrics
from app.rpc.dispatch import Dispatcher
from app.rpc.registry import Registry
from app.server.lifecycle import Stores
from app.settings import Settings
from app.transport.admission import Admission
from app.transport.credentials import Credentials
from app.transport.edge import Edge
from app.transport.streams import Streams

SETTINGS = web.AppKey("settings", Settings)
REGISTRY = web.AppKey("registry", Registry)
OPENRPC_JSON = web.AppKey("openrpc_json", bytes)
"""The OpenRPC document, serialized once."""
STORES = web.AppKey("stores", Stores)
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
CREDENTIALS = web.AppKey("credentials", Credentials)
EDGE = web.AppKey("edge", Edge)
"""What every response passes through, with its count of refusals."""
ADMISSION = web.AppKey("admission", Admission)
"""Requests in flight on /rpc, and the cap past which they are shed."""
STREAMS = web.AppKey("streams", Streams)
"""Open WebSocket sessions and event streams."""
METRICS = web.AppKey("metrics", Metrics)
"""What GET /metrics reports (absent with RPC_METRICS=false)."""
