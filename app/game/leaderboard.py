"""A ranking that stays cheap as it grows: O(log n) update and rank, O(k + log n) top-k.

Players are kept in one ``SortedList`` ordered by ``(-score, tick, player)``, where ``tick``
says when the player reached that score. So the higher score ranks first, and between equal
scores the player who got there first does. Nothing is ever re-sorted: an update removes one
entry and inserts one, and a rank is a bisection.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterator
from typing import Generic, NamedTuple, TypeVar

from sortedcontainers import SortedList

P = TypeVar("P", bound=Hashable)


class Place(NamedTuple, Generic[P]):
    """One player's place: rank 1 is the leader."""

    rank: int
    player: P
    score: int


class _Key(NamedTuple, Generic[P]):
    negated_score: int
    tick: int
    player: P


class Leaderboard(Generic[P]):
    """Scores by player, ordered best first; ties go to whoever reached the score first."""

    def __init__(self) -> None:
        self._order: SortedList[_Key[P]] = SortedList()
        self._keys: dict[P, _Key[P]] = {}
        self._ticks = itertools.count()

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, player: object) -> bool:
        return player in self._keys

    def set(self, player: P, score: int) -> None:
        """Add ``player`` with ``score``, or move it to ``score``; O(log n)."""
        old = self._keys.get(player)
        if old is not None:
            if old.negated_score == -score:
                return  # same score: keep the earlier tick, so the tie-break stays fair
            self._order.remove(old)
        key = _Key(-score, next(self._ticks), player)
        self._keys[player] = key
        self._order.add(key)

    def score(self, player: P) -> int:
        """The player's score; KeyError if absent."""
        return -self._keys[player].negated_score

    def rank(self, player: P) -> int:
        """The player's 1-based place; KeyError if absent. O(log n)."""
        return self._order.index(self._keys[player]) + 1

    def top(self, k: int) -> list[Place[P]]:
        """The best ``k`` players, best first; O(k + log n)."""
        if k <= 0:
            return []
        return [
            Place(place, key.player, -key.negated_score)
            for place, key in enumerate(self._order.islice(0, k), start=1)
        ]

    def leader(self) -> Place[P] | None:
        """The player ranked first, if anyone is ranked."""
        top = self.top(1)
        return top[0] if top else None

    def __iter__(self) -> Iterator[P]:
        """Players best first."""
        return (key.player for key in self._order)
