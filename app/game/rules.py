"""The rules of play: what each action is worth, and the levels scores buy."""

from __future__ import annotations

import random

from app.game.models import Action

POINTS_PER_LEVEL = 100


def roll(rng: random.Random, action: Action) -> int:
    """The points one ``action`` earns: attack 10-50, defend 5-20, special 50-100 or nothing."""
    if action is Action.ATTACK:
        return rng.randint(10, 50)
    if action is Action.DEFEND:
        return rng.randint(5, 20)
    # A gamble: half the time it lands big, otherwise it earns nothing.
    return rng.randint(50, 100) if rng.random() < 0.5 else 0


def level(score: int) -> int:
    """Level 1 at 0 points, one more every 100."""
    return score // POINTS_PER_LEVEL + 1
