"""The game's pure parts: names, what a round keeps of a token, display texts, and settings."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from app.game.messages import medal, move_message, welcome
from app.game.models import Action, Phase
from app.game.round import Round, Rules
from app.names import check_name
from app.settings import load

RULES = Rules(
    min_players=2,
    max_players=10,
    max_seats_per_owner=10,
    target_score=1000,
    round_s=60.0,
    cooldown_s=0.0,
    results_s=30.0,
)


@pytest.mark.parametrize("name", ["", "x" * 33, " Ada", "Ada ", "A\nda", "\x00", "Ada\u200b"])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="a name"):
        check_name(name)


@pytest.mark.parametrize("name", ["A", "x" * 32, "Ada Lovelace", "Zoë", "李小龙", "🐉 Dragon"])
def test_good_names_pass(name: str) -> None:
    assert check_name(name) == name


def test_a_round_keeps_only_a_digest_of_each_token() -> None:
    round_ = Round(1, RULES, random.Random(7))
    ada = round_.join("anonymous", "Ada", now=0.0)
    kept = round_.players[ada.player_id]
    assert ada.player_token not in repr(kept)
    assert ada.player_token.encode() != kept.token_digest


def test_welcome_says_how_many_more_players_the_round_needs() -> None:
    assert welcome("Ada", "🦊", Phase.WAITING, 1) == "Welcome, Ada 🦊! Waiting for 1 more player."
    assert welcome("Ada", "🦊", Phase.WAITING, 3).endswith("Waiting for 3 more players.")
    assert welcome("Bo", "🐼", Phase.PLAYING, 0) == (
        "Welcome, Bo 🐼! The round is on: make your move!"
    )


@pytest.mark.parametrize(
    ("action", "points", "text"),
    [
        (Action.ATTACK, 32, "⚔️ Attack hits for 32 points!"),
        (Action.DEFEND, 7, "🛡️ Defend earns 7 points."),
        (Action.SPECIAL, 80, "✨ Special lands for 80 points!"),
        (Action.SPECIAL, 0, "💨 Special fizzles: no points this time."),
    ],
)
def test_a_move_message_names_the_action_and_its_points(
    action: Action, points: int, text: str
) -> None:
    said = move_message(action, points=points, score=50, level=1, leveled_up=False, won=False)
    assert said == text


def test_a_move_message_adds_a_level_up_and_a_win() -> None:
    said = move_message(Action.ATTACK, points=32, score=1010, level=11, leveled_up=True, won=True)
    assert said == (
        "⚔️ Attack hits for 32 points! Level up: you are level 11!"
        " 🏆 1010 points: you win the round!"
    )


def test_the_top_five_get_medals() -> None:
    assert [medal(rank) for rank in range(1, 7)] == ["🥇", "🥈", "🥉", "🏅", "🏅", None]


def test_game_settings_come_from_the_environment_and_are_checked() -> None:
    loaded = load(environ={"RPC_GAME_SEED": "42", "RPC_GAME_COOLDOWN_S": "0.5"})
    assert (loaded.game_seed, loaded.game_cooldown_s) == (42, 0.5)
    assert load(environ={}).game_seed is None
    for bad in (
        {"RPC_GAME_MIN_PLAYERS": "1"},
        {"RPC_GAME_ROUND_S": "0"},
        {"RPC_GAME_ROUND_S": "inf"},
        {"RPC_GAME_COOLDOWN_S": "-1"},
        {"RPC_GAME_SEED": "lucky"},
    ):
        with pytest.raises(ValidationError):
            load(environ=bad)
