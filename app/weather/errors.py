"""The weather domain's errors (codes 2xxx).

DomainError
├── NotFound
│   └── CityNotFound          2001  no city of that name (or id) in that country; suggestions
└── BelowAbsoluteZero         2002  a temperature colder than 0 K
Overloaded
└── CitiesUnavailable       -32005  the city index failed to load (``data.reason``)
"""

from __future__ import annotations

from app.rpc.errors import DomainError, NotFound, Overloaded


class CityNotFound(NotFound):
    code = 2001
    message = "City not found"


class BelowAbsoluteZero(DomainError):
    code = 2002
    message = "Temperature below absolute zero"


class CitiesUnavailable(Overloaded):
    """The city index failed to load: a server fault the log explains, not the caller's."""

    message = "Store unavailable"
