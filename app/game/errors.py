"""The game's domain errors (codes 4xxx).

DomainError
├── NotFound
│   ├── BadCredentials    4001  unknown player or wrong token (the same error, on purpose)
│   └── PlayerNotFound    4006  no such player in this round
├── Conflict
│   └── NameTaken         4003  the name (ignoring case and look-alikes) is in the round
└── InvalidState
    ├── WrongPhase        4002  not allowed in this phase of the round
    ├── RoundFull         4004  the round has its most players
    └── CoolingDown       4005  too soon since the player's last move
"""

from __future__ import annotations

from app.rpc.errors import Conflict, InvalidState, NotFound


class BadCredentials(NotFound):
    """No player this caller can act for: unknown id and wrong token look the same."""

    code = 4001
    message = "Unknown player or wrong token"


class WrongPhase(InvalidState):
    code = 4002
    message = "Not allowed in this phase of the round"


class NameTaken(Conflict):
    code = 4003
    message = "Name already taken in this round"


class RoundFull(InvalidState):
    code = 4004
    message = "The round is full"


class CoolingDown(InvalidState):
    code = 4005
    message = "Too soon since your last move"


class PlayerNotFound(NotFound):
    code = 4006
    message = "No such player in this round"
