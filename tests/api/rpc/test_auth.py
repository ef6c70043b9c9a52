"""Admin methods want the configured admin token as a bearer credential."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.rpc import MakeClient

ADMIN = {"jsonrpc": "2.0", "method": "probe.admin", "id": 1}


async def admin_call(client: Any, **headers: str) -> Any:
    response = await client.post("/rpc", json=ADMIN, headers=headers)
    return await response.json()


async def test_admin_methods_are_refused_while_no_token_is_configured(
    make_client: MakeClient,
) -> None:
    client = await make_client()
    body = await admin_call(client, Authorization="Bearer anything")
    assert body["error"]["code"] == -32002
    assert "RPC_ADMIN_TOKEN" in body["error"]["data"]["reason"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic czNjcjN0"},
        {"Authorization": "Bearer "},
    ],
)
async def test_missing_or_wrong_tokens_are_unauthorized(
    make_client: MakeClient, headers: dict[str, str]
) -> None:
    client = await make_client(admin_token="s3cr3t")
    body = await admin_call(client, **headers)
    assert body["error"]["code"] == -32001
    assert "s3cr3t" not in str(body)


async def test_the_right_token_is_accepted(make_client: MakeClient) -> None:
    client = await make_client(admin_token="s3cr3t")
    assert (await admin_call(client, Authorization="Bearer s3cr3t"))["result"] == "ok"
    assert (await admin_call(client, Authorization="bearer s3cr3t"))["result"] == "ok"
