"""The in-memory game store: the current round in this process.

Each operation reads the clock once and runs one synchronous ``Round`` method, with no
``await`` between its checks and its changes, which is what makes it atomic. Before it, the
round in play is found the same way every time (``_current``): a round whose result has
been up for ``game_results_s`` is replaced by the next one, so rounds roll over on their own.
"""

from __future__ import annotations

import random

from app.game.metrics import samples
from app.game.models import Action, Joined, MoveResult, PlayerStatus, RoundState, Standing
from app.game.round import Round, Rules
from app.rpc.access import Principal
from app.stores import Backend, Sample, StoreContext


class MemoryGameStore(Backend):
    """The current round, and the seeded generator every round's points come from."""

    def __init__(self, context: StoreContext) -> None:
        settings = context.settings
        self._clock = context.clock
        self._rules = Rules.from_settings(settings)
        # Points are not secrets, and a seed makes rounds reproducible; None seeds from the OS.
        self._rng = random.Random(settings.game_seed)  # noqa: S311
        self._ids = context.ids
        self._round = Round(1, self._rules, self._rng, self._ids)

    def _current(self) -> tuple[Round, float]:
        """The round in play now, and now: the next round once the last one is over."""
        now = self._clock.time()
        if self._round.over(now):
            self._round = Round(self._round.number + 1, self._rules, self._rng, self._ids)
        return self._round, now

    async def join(self, caller: Principal, name: str) -> Joined:
        """Add a player named ``name``, of ``caller``'s, to the round; the answer holds its
        one-time token."""
        round_, now = self._current()
        return round_.join(caller.id, name, now)

    async def move(self, player_id: str, token: str, action: Action) -> MoveResult:
        """Play ``action`` for the player, if ``token`` is theirs and the rules allow it."""
        round_, now = self._current()
        return round_.move(player_id, token, action, now)

    async def status(self, player_id: str) -> PlayerStatus:
        """One player of the round, with its rank."""
        round_, now = self._current()
        return round_.status(player_id, now)

    async def leaderboard(self, limit: int) -> list[Standing]:
        """The best ``limit`` players, best first."""
        round_, now = self._current()
        return round_.top(limit, now)

    async def state(self) -> RoundState:
        """The round's phase, player count, rules, time left and outcome."""
        round_, now = self._current()
        return round_.state(now)

    async def new_round(self) -> RoundState:
        """Replace the round with a fresh one, in ``waiting``, with no players."""
        # Straight from the last round, even an over one: the number goes up by one only.
        self._round = Round(self._round.number + 1, self._rules, self._rng, self._ids)
        return self._round.state(self._clock.time())

    async def measure(self) -> list[Sample]:
        """Players in the round in play, and the rounds begun since the process started."""
        round_, _ = self._current()
        return samples(len(round_.players), round_.number, "since this process started")
