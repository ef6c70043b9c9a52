"""What results say for display: welcome and move texts, and leaderboard medals.

Derived from the numbers and the phase, which stay the state; every backend shows the same.
"""

from __future__ import annotations

from app.game.models import Action, Phase

MEDALS = ("🥇", "🥈", "🥉", "🏅", "🏅")


def medal(rank: int) -> str | None:
    """The medal shown beside a rank: the top five get one."""
    return MEDALS[rank - 1] if 1 <= rank <= len(MEDALS) else None


def welcome(name: str, emoji: str, phase: Phase, players_needed: int) -> str:
    """Greet a player who just joined, saying whether to wait or to move."""
    if phase is Phase.WAITING:
        plural = "s" if players_needed != 1 else ""
        after = f"Waiting for {players_needed} more player{plural}."
    else:
        after = "The round is on: make your move!"
    return f"Welcome, {name} {emoji}! {after}"


def move_message(
    action: Action, *, points: int, score: int, level: int, leveled_up: bool, won: bool
) -> str:
    """Describe one accepted move: its points, and any level up or win it brought."""
    if action is Action.ATTACK:
        text = f"⚔️ Attack hits for {points} points!"
    elif action is Action.DEFEND:
        text = f"🛡️ Defend earns {points} points."
    elif points:
        text = f"✨ Special lands for {points} points!"
    else:
        text = "💨 Special fizzles: no points this time."
    if leveled_up:
        text += f" Level up: you are level {level}!"
    if won:
        text += f" 🏆 {score} points: you win the round!"
    return text
