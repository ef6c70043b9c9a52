"""Formulas the climate model applies to its state: feels-like, humidity, and the sun."""

from __future__ import annotations

import math
from datetime import date

YEAR_DAYS = 365.2425
"""The tropical year, in days: the period of the seasons."""
_DECEMBER_SOLSTICE = (date(1999, 12, 22) - date(1970, 1, 1)).days
_AXIAL_TILT = math.radians(23.44)
_SUNRISE_ELEVATION = math.radians(-0.833)


def feels_like(temperature_c: float, humidity_pct: float, wind_kmh: float) -> float:
    """Apparent temperature: the heat index when hot and humid, wind chill when cold and windy."""
    if temperature_c >= 26.7 and humidity_pct >= 40:
        f, r = temperature_c * 9 / 5 + 32, humidity_pct
        index_f = (  # Rothfusz's regression, as the US National Weather Service uses it
            -42.379
            + 2.04901523 * f
            + 10.14333127 * r
            - 0.22475541 * f * r
            - 0.00683783 * f * f
            - 0.05481717 * r * r
            + 0.00122874 * f * f * r
            + 0.00085282 * f * r * r
            - 0.00000199 * f * f * r * r
        )
        return max(temperature_c, (index_f - 32) * 5 / 9)
    if temperature_c <= 10 and wind_kmh > 4.8:
        v = math.pow(wind_kmh, 0.16)  # Environment Canada's wind chill index
        return min(
            temperature_c, 13.12 + 0.6215 * temperature_c - 11.37 * v + 0.3965 * temperature_c * v
        )
    return temperature_c


def sun_is_up(latitude: float, longitude: float, t: float) -> bool:
    """Whether the sun's upper edge is above the horizon at instant ``t``."""
    declination = -_AXIAL_TILT * math.cos(
        2 * math.pi * (t / 86_400 - _DECEMBER_SOLSTICE) / YEAR_DAYS
    )
    hour_angle = math.radians(15 * ((t / 3600 + longitude / 15) % 24 - 12))
    lat = math.radians(latitude)
    sine = math.sin(lat) * math.sin(declination) + math.cos(lat) * math.cos(declination) * math.cos(
        hour_angle
    )
    return sine > math.sin(_SUNRISE_ELEVATION)


def relative_humidity(temperature_c: float, dew_point_c: float) -> float:
    """Relative humidity (%) from the Magnus formula; air cannot hold more than saturation."""
    return min(100.0, 100 * _vapour_pressure(dew_point_c) / _vapour_pressure(temperature_c))


def _vapour_pressure(celsius: float) -> float:
    return 6.112 * math.exp(17.62 * celsius / (243.12 + celsius))
