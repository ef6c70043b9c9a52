"""``rpc-hub worker``'s flags: where the server is, and how to reach it."""

from __future__ import annotations

import argparse

import pytest

from app.worker.command import add_arguments


def parse(*words: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(words)


def test_the_server_comes_from_rpc_url_as_for_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RPC_URL", raising=False)
    assert (parse().url, parse().transport) == ("http://127.0.0.1:8080/rpc", "http")
    monkeypatch.setenv("RPC_URL", "http://rpc.example:9000/rpc")
    assert parse().url == "http://rpc.example:9000/rpc"
    assert parse("--url", "http://other:1/rpc", "--transport", "ws").transport == "ws"
