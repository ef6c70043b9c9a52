"""How many carts one caller may hold, over /rpc: one key's quota is not another's.

Past ``cart_max_carts_per_owner`` a key's ``cart.create`` gets -32006 with the resource, the
limit and what it holds; another key, and anonymous callers (who are all one), are unaffected.
An expired cart frees its place. The shared cap stays -32005.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.clock import ManualClock
from tests.helpers.keys import bearer, new_key
from tests.helpers.rpc import Client, MakeClient, post, quota_exceeded

QUOTA = 2
TTL_S = 60.0


async def create(client: Client, who: dict[str, str]) -> Any:
    """cart.create as ``who`` (its headers); return the response object."""
    status, body = await post(client, {"jsonrpc": "2.0", "method": "cart.create", "id": 1}, **who)
    assert status == 200
    return body


def quota_error(held: int = QUOTA, limit: int = QUOTA) -> dict[str, Any]:
    return quota_exceeded("carts", limit, held)


async def test_a_key_past_its_quota_gets_32006_and_another_key_does_not(
    make_client: MakeClient, tmp_path: Path
) -> None:
    clock = ManualClock()
    keys = tmp_path / "keys.jsonl"
    alice, bob = bearer(new_key(keys, "alice", "cart")), bearer(new_key(keys, "bob", "cart"))
    client = await make_client(
        clock=clock,
        keys_file=str(keys),
        anonymous_scopes=("cart",),
        cart_max_carts_per_owner=QUOTA,
        cart_ttl_s=TTL_S,
    )
    made = [(await create(client, alice))["result"]["cart_id"] for _ in range(QUOTA)]
    assert (await create(client, alice))["error"] == quota_error()
    for other in (bob, {}):  # another key, and no key at all
        assert all(["result" in await create(client, other) for _ in range(QUOTA)])
        assert (await create(client, other))["error"] == quota_error()
    # Alice's carts still work; only new ones are refused.
    status, body = await post(
        client,
        {"jsonrpc": "2.0", "method": "cart.add_item", "params": [made[0], "book", 1], "id": 2},
        **alice,
    )
    assert (status, body["result"]["item_count"]) == (200, 1)
    clock.advance(TTL_S)  # they expire, and give the quota back
    assert "result" in await create(client, alice)


async def test_the_shared_cap_is_still_32005(make_client: MakeClient, tmp_path: Path) -> None:
    keys = tmp_path / "keys.jsonl"
    alice, bob = bearer(new_key(keys, "alice", "cart")), bearer(new_key(keys, "bob", "cart"))
    client = await make_client(keys_file=str(keys), cart_max_carts_per_owner=2, cart_max_carts=3)
    for who in (alice, alice, bob):
        assert "result" in await create(client, who)
    assert (await create(client, alice))["error"] == quota_error(2, 2)
    refused = (await create(client, bob))["error"]
    assert refused["code"] == -32005
