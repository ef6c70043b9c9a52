"""The weather domain's errors (codes 2xxx).

DomainError
├── NotFound
│   └── CityNotFound          2001  no city of that name (or id) in that country; suggestions
└── BelowAbsoluteZero         2002  a temperature colder than 0 K
"""

from __future__ import annotations

from app.rpc.errors import DomainError, NotFound


class CityNotFound(NotFound):
    code = 2001
    message = "City not found"


class BelowAbsoluteZero(DomainError):
    code = 2002
    message = "Temperature below absolute zero"
