"""How many seats of a round one caller may hold, over /rpc: one key's quota is not another's.

Past ``game_max_seats_per_owner`` a key's ``game.join`` gets -32006 with the resource, the
limit and what it holds; another key, and anonymous callers (who are all one), are unaffected,
and the next round frees every seat. The round's own cap stays 4004.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.clock import ManualClock
from tests.helpers.keys import bearer, new_key
from tests.helpers.rpc import Client, MakeClient, post, quota_exceeded

QUOTA = 2


async def join(client: Client, who: dict[str, str], name: str) -> Any:
    """game.join as ``who`` (its headers); return the response object."""
    request = {"jsonrpc": "2.0", "method": "game.join", "params": {"name": name}, "id": 1}
    status, body = await post(client, request, **who)
    assert status == 200
    return body


def quota_error(held: int = QUOTA, limit: int = QUOTA) -> dict[str, Any]:
    return quota_exceeded("seats", limit, held)


async def test_a_key_past_its_seats_gets_32006_and_another_key_does_not(
    make_client: MakeClient, tmp_path: Path
) -> None:
    clock = ManualClock()
    keys = tmp_path / "keys.jsonl"
    alice, bob = bearer(new_key(keys, "alice", "game")), bearer(new_key(keys, "bob", "game"))
    client = await make_client(
        clock=clock,
        keys_file=str(keys),
        anonymous_scopes=("game",),
        game_max_seats_per_owner=QUOTA,
        game_round_s=60.0,
        game_results_s=5.0,
    )
    for n in range(QUOTA):
        assert "result" in await join(client, alice, f"alice {n}")
    assert (await join(client, alice, "alice again"))["error"] == quota_error()
    for name, who in (("bob", bob), ("anon", {})):  # another key, and no key at all
        assert all(["result" in await join(client, who, f"{name} {n}") for n in range(QUOTA)])
        assert (await join(client, who, f"{name} again"))["error"] == quota_error()
    clock.advance(60 + 5)  # the round ran out of time; after its result, the next one
    joined = await join(client, alice, "alice again")
    assert joined["result"]["round"] == 2


async def test_the_round_cap_is_still_4004(make_client: MakeClient, tmp_path: Path) -> None:
    keys = tmp_path / "keys.jsonl"
    alice, bob = bearer(new_key(keys, "alice", "game")), bearer(new_key(keys, "bob", "game"))
    client = await make_client(keys_file=str(keys), game_max_seats_per_owner=2, game_max_players=3)
    for name, who in (("a1", alice), ("a2", alice), ("b1", bob)):
        assert "result" in await join(client, who, name)
    assert (await join(client, alice, "a3"))["error"] == quota_error(2, 2)
    assert (await join(client, bob, "b2"))["error"] == {
        "code": 4004,
        "message": "The round is full",
        "data": {"max_players": 3},
    }
