"""The game's store Protocol: the current round behind ``game.*``.

Every operation is atomic: nothing interleaves between its checks and its changes, so of two
players racing to the target exactly one wins, and no move is accepted once the round is
finished. Time is the store's clock, and the round's deadline needs no timer.

Rounds roll over without an admin: a finished round, its result, winner, leaderboard and
players, stays as it is for ``game_results_s`` seconds after it finished (a join meanwhile
is ``WrongPhase`` with ``retry_after_s``); the first operation at or after that moment finds
the next round, numbered one more, ``waiting`` with no players. ``new_round`` does the same
at once.

``join`` takes ``caller``, the ``Principal`` making the call (the handler passes
``ctx.principal``): each player records its caller's id, and one id has at most
``game_max_seats_per_owner`` players in a round (every anonymous caller is the one id
"anonymous"; admin is not exempt). A new round frees every seat.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from app.game.models import Action, Joined, MoveResult, PlayerStatus, RoundState, Standing
from app.rpc.access import Principal


@runtime_checkable
class GameStore(Protocol):
    """The current round: joining, moving, ranking, and starting the next one."""

    async def join(self, caller: Principal, name: str) -> Joined:
        """Add a player named ``name``, of ``caller``'s, to the round; the answer holds its
        one-time token.

        Raise ``WrongPhase`` with ``retry_after_s`` while a finished round's result is up,
        ``NameTaken``, ``QuotaExceeded`` (data: ``resource`` "seats", ``limit``, ``held``) when
        ``caller`` has its most players in the round, and ``RoundFull`` when the round has.
        """
        ...

    async def move(self, player_id: str, token: str, action: Action) -> MoveResult:
        """Play ``action`` for the player, if ``token`` is theirs and the rules allow it."""
        ...

    async def status(self, player_id: str) -> PlayerStatus:
        """One player of the round, with its rank."""
        ...

    async def leaderboard(self, limit: int) -> list[Standing]:
        """The best ``limit`` players, best first."""
        ...

    async def state(self) -> RoundState:
        """The round's phase, player count, rules, time left and outcome."""
        ...

    async def new_round(self) -> RoundState:
        """Replace the round with a fresh one, in ``waiting``, with no players."""
        ...
