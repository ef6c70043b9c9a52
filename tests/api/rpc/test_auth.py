"""Who may call what: keys with scopes, anonymous defaults, the admin token, throttling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.auth import keyfile
from tests.helpers.keys import bearer, expire, new_key
from tests.helpers.rpc import Client, MakeClient, post


def request(method: str, params: Any = None, id: Any = 1) -> dict[str, Any]:
    body: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": id}
    if params is not None:
        body["params"] = params
    return body


async def answer(client: Client, method: str, key: str | None = None, params: Any = None) -> Any:
    status, body = await post(client, request(method, params), **(bearer(key) if key else {}))
    assert status == 200
    return body


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    return tmp_path / "keys.jsonl"


async def test_a_key_holds_exactly_its_scopes(make_client: MakeClient, keys: Path) -> None:
    key = new_key(keys, "calculator", "calc")
    client = await make_client(keys_file=str(keys), anonymous_scopes=())
    assert (await answer(client, "calc.add", key, [2, 3]))["result"] == 5
    error = (await answer(client, "weather.get_emoji", key, ["Paris"]))["error"]
    assert error["code"] == -32002
    assert error["data"]["required_scope"] == "weather"
    assert key not in str(error)


async def test_each_item_of_a_batch_is_checked(make_client: MakeClient, keys: Path) -> None:
    key = new_key(keys, "calculator", "calc")
    client = await make_client(keys_file=str(keys), anonymous_scopes=())
    batch = [
        request("calc.add", [1, 1], 1),
        request("cart.create", None, 2),
        request("calc.add", [2, 2], 3),
        request("rpc.discover", None, 4),
    ]
    status, body = await post(client, batch, **bearer(key))
    assert status == 200
    by_id = {item["id"]: item for item in body}
    assert by_id[1]["result"] == 2 and by_id[3]["result"] == 4
    assert by_id[2]["error"]["data"]["required_scope"] == "cart"
    assert "methods" in by_id[4]["result"]  # rpc.discover needs no scope


async def test_without_a_key_a_call_says_to_send_one(make_client: MakeClient) -> None:
    client = await make_client(anonymous_scopes=("calc",))
    assert (await answer(client, "calc.add", None, [1, 2]))["result"] == 3
    error = (await answer(client, "cart.create"))["error"]
    assert error["code"] == -32001
    assert error["data"] == {
        "reason": "this call needs a key: send Authorization: Bearer <key>",
        "required_scope": "cart",
    }


async def test_on_loopback_anonymous_calls_hold_every_scope_but_the_admin_ones(
    make_client: MakeClient,
) -> None:
    client = await make_client(host="127.0.0.1")
    assert (await answer(client, "calc.add", None, [1, 2]))["result"] == 3
    assert "cart_id" in (await answer(client, "cart.create"))["result"]
    for method, scope in [("probe.admin", "admin"), ("game.new_round", "game:admin")]:
        error = (await answer(client, method))["error"]
        assert (error["code"], error["data"]["required_scope"]) == (-32001, scope)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::"])
async def test_on_any_other_address_nothing_runs_without_a_key(
    make_client: MakeClient, host: str
) -> None:
    client = await make_client(host=host, allowed_hosts=("*",))
    assert (await answer(client, "calc.add", None, [1, 2]))["error"]["code"] == -32001
    assert "result" in await answer(client, "rpc.discover")


async def test_the_operator_may_open_scopes_on_a_public_address(make_client: MakeClient) -> None:
    client = await make_client(host="0.0.0.0", allowed_hosts=("*",), anonymous_scopes=("calc",))
    assert (await answer(client, "calc.add", None, [1, 2]))["result"] == 3


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Bearer rpch_AAAAAAAAAAAA_" + "A" * 46, "unknown key"),
        ("Bearer not-a-key", "unknown key"),
        ("Basic czNjcjN0", "send the key as Authorization: Bearer <key>"),
    ],
)
async def test_a_wrong_key_is_unauthorized(
    make_client: MakeClient, keys: Path, header: str, reason: str
) -> None:
    new_key(keys, "real", "calc")
    client = await make_client(keys_file=str(keys), auth_failure_delay_s=0)
    _, body = await post(client, request("calc.add", [1, 2]), Authorization=header)
    assert body["error"]["code"] == -32001
    assert body["error"]["data"]["reason"] == reason


async def test_revoked_and_expired_keys_stop_working(make_client: MakeClient, keys: Path) -> None:
    revoked = new_key(keys, "old", "calc")
    expired = new_key(keys, "brief", "calc")
    by_name = {entry.name: entry.id for entry in keyfile.load(keys).values()}
    keyfile.revoke(keys, by_name["old"])
    expire(keys, by_name["brief"])
    client = await make_client(keys_file=str(keys), auth_failure_delay_s=0)
    reasons = [
        (await answer(client, "calc.add", k, [1, 2]))["error"]["data"]["reason"]
        for k in (revoked, expired)
    ]
    assert reasons == ["the key was revoked", "the key has expired"]


async def test_the_admin_token_holds_every_scope(make_client: MakeClient) -> None:
    client = await make_client(admin_token="s3cr3t", anonymous_scopes=())
    assert (await answer(client, "probe.admin", "s3cr3t"))["result"] == "ok"
    assert (await answer(client, "calc.add", "s3cr3t", [2, 2]))["result"] == 4
    error = (await answer(client, "probe.admin", "wrong", None))["error"]
    assert error["code"] == -32001 and "s3cr3t" not in str(error)


async def test_repeated_wrong_keys_are_throttled_per_address(
    make_client: MakeClient, keys: Path
) -> None:
    good = new_key(keys, "good", "calc")
    token = "a" * 32
    client = await make_client(keys_file=str(keys), admin_token=token, auth_failure_delay_s=0)
    codes = [
        (await answer(client, "calc.add", "guess", [1, 1]))["error"]["code"] for _ in range(12)
    ]
    assert codes[:10] == [-32001] * 10
    assert codes[10:] == [-32003, -32003]
    limited = (await answer(client, "calc.add", "guess", [1, 1]))["error"]["data"]
    assert limited["retry_after_s"] > 0
    # While throttled, the admin token (which may be short) is not even compared...
    assert (await answer(client, "calc.add", token, [1, 1]))["error"]["code"] == -32003
    # ...but a real key still works: 240 random bits cannot be guessed, so one bad client
    # behind a shared address (a proxy) cannot lock every key out.
    assert (await answer(client, "calc.add", good, [1, 1]))["result"] == 2
    # Calls without a key are not slowed down either.
    assert (await answer(client, "calc.add", None, [1, 1]))["result"] == 2


async def test_a_malformed_authorization_header_counts_as_a_failure(
    make_client: MakeClient,
) -> None:
    client = await make_client(auth_failure_delay_s=0)
    for _ in range(10):
        _, body = await post(client, request("calc.add", [1, 1]), Authorization="Basic eDp5")
        assert body["error"]["code"] == -32001
    _, body = await post(client, request("calc.add", [1, 1]), Authorization="Basic eDp5")
    assert body["error"]["code"] == -32003
