"""Examples of weather.* for OpenRPC, one list per method.

Readings are the offline model's at ManualClock's start, 2027-01-15T08:00:00Z;
tests/api/weather/test_weather.py replays every example against a server at that instant.
"""

from __future__ import annotations

from app.rpc.namespace import Example

_OFFLINE = {"provider": "offline", "fallback": False}

PARIS_FR = {
    "id": 2988507,
    "name": "Paris",
    "country": "FR",
    "country_name": "France",
    "latitude": 48.85341,
    "longitude": 2.3488,
    "population": 2138551,
    "timezone": "Europe/Paris",
}
PARIS_US = {
    "id": 4717560,
    "name": "Paris",
    "country": "US",
    "country_name": "United States",
    "latitude": 33.66094,
    "longitude": -95.55551,
    "population": 24782,
    "timezone": "America/Chicago",
}
SYDNEY = {
    "id": 2147714,
    "name": "Sydney",
    "country": "AU",
    "country_name": "Australia",
    "latitude": -33.86785,
    "longitude": 151.20732,
    "population": 5638830,
    "timezone": "Australia/Sydney",
}
SAO_PAULO = {
    "id": 3448439,
    "name": "São Paulo",
    "country": "BR",
    "country_name": "Brazil",
    "latitude": -23.5475,
    "longitude": -46.63611,
    "population": 12400232,
    "timezone": "America/Sao_Paulo",
}
SAO_LUIS = {
    "id": 3388368,
    "name": "São Luís",
    "country": "BR",
    "country_name": "Brazil",
    "latitude": -2.52972,
    "longitude": -44.30278,
    "population": 917237,
    "timezone": "America/Fortaleza",
}

GET_TEMPERATURE = [
    Example(
        "Paris, in Fahrenheit",
        {"city": "Paris", "units": "F"},
        {
            "city": PARIS_FR,
            "temperature": 35.24,
            "units": "F",
            "emoji": "🥶",
            "observed_at": "2027-01-15T09:00:00+01:00",
            **_OFFLINE,
        },
        summary="An ambiguous name means its most populous city.",
    ),
    Example(
        "the other Paris",
        {"city": "Paris", "country": "US"},
        {
            "city": PARIS_US,
            "temperature": 6.6,
            "units": "C",
            "emoji": "🥶",
            "observed_at": "2027-01-15T02:00:00-06:00",
            **_OFFLINE,
        },
    ),
]
GET_EMOJI = [
    Example("mild", [15], "😊"),
    Example("50 °F is exactly 10 °C", {"temperature": 50, "units": "F"}, "😊"),
    Example("cold, in kelvin", {"temperature": 250, "units": "K"}, "🥶"),
]
CURRENT = [
    Example(
        "Sydney on a summer evening",
        {"city": "sydney"},
        {
            "city": SYDNEY,
            "observed_at": "2027-01-15T19:00:00+11:00",
            "units": "C",
            "temperature": 34.2,
            "feels_like": 34.2,
            "humidity_pct": 34,
            "wind_speed_kmh": 18.1,
            "wind_direction_deg": 286,
            "wind_direction": "WNW",
            "condition": "clear",
            "is_day": True,
            "emoji": "🥵",
            **_OFFLINE,
        },
    )
]
FORECAST = [
    Example(
        "São Paulo, two days",
        {"city": "Sao Paulo", "days": 2},
        {
            "city": SAO_PAULO,
            "units": "C",
            "days": [
                {
                    "date": "2027-01-15",
                    "high": 35.7,
                    "low": 22.8,
                    "condition": "clear",
                    "precipitation_chance_pct": 10,
                },
                {
                    "date": "2027-01-16",
                    "high": 35.1,
                    "low": 23.1,
                    "condition": "clear",
                    "precipitation_chance_pct": 10,
                },
            ],
            **_OFFLINE,
        },
    )
]
SEARCH_CITIES = [
    Example(
        "accents optional",
        {"query": "sao", "limit": 2},
        [SAO_PAULO, SAO_LUIS],
        summary="Ordered by population.",
    )
]

SUBSCRIBE = [
    Example(
        "Paris, every minute",
        {"city": "Paris", "interval_s": 60},
        {"subscription": "0x5f1e2d3c4b5a6978", "epoch": None, "offset": 0, "recovered": False},
        summary="Over a WebSocket; notifications then carry readings as weather.current's.",
    )
]
