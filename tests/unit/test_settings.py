"""Settings come from flags, then RPC_* variables, then defaults, and are validated."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from app import settings
from app.settings import Settings


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    settings.add_arguments(parser)
    return parser.parse_args(argv)


def test_defaults_are_safe() -> None:
    loaded = settings.load(parse(), environ={})
    assert loaded == Settings()
    assert loaded.host == "127.0.0.1"
    assert loaded.port == 8080
    assert loaded.cors_origins == ()
    assert loaded.max_body_bytes == 1024 * 1024
    assert loaded.max_batch == 100


def test_flags_beat_environment_which_beats_defaults() -> None:
    environ = {"RPC_PORT": "9000", "RPC_HOST": "0.0.0.0", "RPC_CALL_LOG": "false"}
    loaded = settings.load(parse("--port", "9100"), environ=environ)
    assert (loaded.port, loaded.host, loaded.call_log) == (9100, "0.0.0.0", False)


def test_lists_come_comma_separated() -> None:
    environ = {"RPC_CORS_ORIGINS": "https://a.example, https://b.example"}
    assert settings.load(environ=environ).cors_origins == ("https://a.example", "https://b.example")
    assert settings.load(parse("--cors-origins", "*"), environ={}).cors_origins == ("*",)


def test_boolean_flags() -> None:
    assert settings.load(parse("--no-call-log"), environ={}).call_log is False


@pytest.mark.parametrize(
    "environ",
    [
        {"RPC_PORT": "70000"},
        {"RPC_PORT": "http"},
        {"RPC_MAX_BATCH": "0"},
        {"RPC_LOG_FORMAT": "xml"},
    ],
)
def test_invalid_values_are_refused(environ: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        settings.load(environ=environ)


def test_the_settings_table_matches_the_code() -> None:
    page = (Path(__file__).parents[2] / "docs" / "settings.md").read_text()
    rows = re.findall(
        r"^\| `(--[a-z0-9-]+)` \| `(RPC_[A-Z0-9_]+)` \| `([^`]*)` \| (.*) \|$", page, re.M
    )
    assert rows == settings.table()
