"""A local stand-in for Open-Meteo's forecast endpoint (``GET /v1/forecast``).

It answers in the JSON format Open-Meteo documents: the variables asked for in ``current``
and ``daily`` and nothing else, ``*_units`` objects, local times without offset plus
``utc_offset_seconds``, and ``{"error": true, "reason": ...}`` with HTTP 400 for a variable it
does not know. Its "now" is the test's ManualClock. It can also misbehave on request: hang,
fail with 500, send bad JSON, or send an answer a test has edited.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from aiohttp import web

from app.clock import ManualClock

Mode = Literal["ok", "gated", "hang", "400", "500", "bad-json", "huge"]
NOW = datetime(2027, 1, 10, 23, 20, tzinfo=UTC).timestamp()
"""Where the ``upstream`` fixture's clock starts: late evening in Europe, morning in Asia."""

CURRENT_UNITS = {
    "temperature_2m": "°C",
    "relative_humidity_2m": "%",
    "apparent_temperature": "°C",
    "is_day": "",
    "weather_code": "wmo code",
    "wind_speed_10m": "km/h",
    "wind_direction_10m": "°",
    "precipitation": "mm",
}
DAILY_UNITS = {
    "weather_code": "wmo code",
    "temperature_2m_max": "°C",
    "temperature_2m_min": "°C",
    "precipitation_probability_max": "%",
    "precipitation_sum": "mm",
}
DAILY_CODES = [61, 3, 0, 95, 71, 45, 51, 2, 80, 1, 73, 48, 55, 63, 99, 86]
"""WMO codes served day after day: rain, cloudy, clear, thunderstorm, snow, fog, drizzle..."""


def temperature_at(latitude: float) -> float:
    """The stand-in's current temperature: distinct per city, easy to predict in tests."""
    return round(20 - abs(latitude) / 3, 1)


class OpenMeteoStandIn:
    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.mode: Mode = "ok"
        self.edit: Callable[[dict[str, Any]], None] | None = None
        """Changes an answer before it is sent, to test what the provider accepts."""
        self.max_days = 16
        self.queries: list[dict[str, str]] = []
        self.arrived = asyncio.Event()
        self.gate = asyncio.Event()
        self.url = ""

    @property
    def requests(self) -> int:
        return len(self.queries)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1/forecast", self.forecast)
        return app

    async def forecast(self, request: web.Request) -> web.StreamResponse:
        self.queries.append(dict(request.query))
        self.arrived.set()
        if self.mode == "hang":
            await asyncio.Event().wait()  # never set: only the client's timeout ends this
        if self.mode == "gated":
            await self.gate.wait()
        if self.mode == "400":  # what Open-Meteo says to a request it refuses
            reason = "Latitude must be in range of -90 to 90°. Given: 91.0."
            return web.json_response({"error": True, "reason": reason}, status=400)
        if self.mode == "500":
            return web.Response(status=500, text="Internal Server Error")
        if self.mode == "bad-json":
            return web.Response(
                text='{"latitude": 52.52, "current": {', content_type="application/json"
            )
        if self.mode == "huge":
            return web.json_response({"padding": "x" * 2_000_000})
        try:
            answer = self.answer(request.query)
        except ValueError as exc:
            return web.json_response({"error": True, "reason": str(exc)}, status=400)
        if self.edit is not None:
            self.edit(answer)
        return web.json_response(answer)

    def answer(self, query: Any) -> dict[str, Any]:
        latitude, longitude = float(query["latitude"]), float(query["longitude"])
        zone = ZoneInfo(query.get("timezone", "GMT"))
        now = datetime.fromtimestamp(self.clock.time(), zone)
        days = min(int(query.get("forecast_days", 7)), self.max_days)
        temperature = temperature_at(latitude)
        current_values = {
            "temperature_2m": temperature,
            "relative_humidity_2m": 71,
            "apparent_temperature": round(temperature - 1.5, 1),
            "is_day": 1,
            "weather_code": 61,
            "wind_speed_10m": 13.5,
            "wind_direction_10m": 248,
            "precipitation": 0.4,
        }
        dates = [now.date() + timedelta(days=i) for i in range(days)]
        daily_values: dict[str, list[Any]] = {
            "weather_code": [DAILY_CODES[i % len(DAILY_CODES)] for i in range(days)],
            "temperature_2m_max": [round(temperature + 4 + i / 10, 1) for i in range(days)],
            "temperature_2m_min": [round(temperature - 5 + i / 10, 1) for i in range(days)],
            "precipitation_probability_max": [(i * 17) % 101 for i in range(days)],
            "precipitation_sum": [1.5] * days,
        }
        current = _pick(query, "current", current_values)
        daily = _pick(query, "daily", daily_values)
        observed = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
        offset = now.utcoffset() or timedelta()
        return {
            "latitude": round(latitude, 4),
            "longitude": round(longitude, 4),
            "generationtime_ms": 0.0629425048828125,
            "utc_offset_seconds": int(offset.total_seconds()),
            "timezone": str(zone),
            "timezone_abbreviation": now.tzname(),
            "elevation": 38.0,
            "current_units": {"time": "iso8601", "interval": "seconds"}
            | {k: CURRENT_UNITS[k] for k in current},
            "current": {"time": observed.strftime("%Y-%m-%dT%H:%M"), "interval": 900} | current,
            "daily_units": {"time": "iso8601"} | {k: DAILY_UNITS[k] for k in daily},
            "daily": {"time": [d.isoformat() for d in dates]} | daily,
        }


def _pick(query: Any, key: str, values: dict[str, Any]) -> dict[str, Any]:
    wanted = [name for name in query.get(key, "").split(",") if name]
    for name in wanted:
        if name not in values:
            raise ValueError(
                f"Cannot initialize WeatherVariable from invalid String value {name} for key {key}"
            )
    return {name: values[name] for name in wanted}
