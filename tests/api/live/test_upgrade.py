"""The WebSocket upgrade on GET /rpc: checked like a POST (Host, Origin, the key), capped,
and refused with a JSON-RPC error body before any upgrade."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app.server.keys import STREAMS
from tests.helpers.keys import bearer, new_key
from tests.helpers.probe import Probe
from tests.helpers.rpc import Client, MakeClient, call, quota_exceeded
from tests.helpers.ws import connect, upgrade

EVIL = "https://evil.example"


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    return tmp_path / "keys.jsonl"


async def test_a_cross_site_upgrade_is_refused_before_it_happens(
    client: Client, probe: Probe
) -> None:
    status, headers, body = await upgrade(client, Origin=EVIL)
    assert status == 403
    assert headers["Content-Type"].startswith("application/json")
    assert "Upgrade" not in headers
    assert body == {
        "jsonrpc": "2.0",
        "error": {
            "code": -32600,
            "message": "Forbidden: pages from that Origin may not call this server; its "
            "operator can allow it with RPC_CORS_ORIGINS",
            "data": {"origin": EVIL},
        },
        "id": None,
    }
    assert len(client.app[STREAMS]) == 0


async def test_an_origin_the_operator_allows_may_upgrade(make_client: MakeClient) -> None:
    client = await make_client(cors_origins=("https://app.example",))
    assert (await upgrade(client, Origin=EVIL))[0] == 403
    socket = await connect(client, origin="https://app.example")
    assert await socket.result("calc.add", [1, 2]) == 3
    await socket.close()


async def test_the_servers_own_pages_may_upgrade(client: Client) -> None:
    host = f"127.0.0.1:{client.port}"
    socket = await connect(client, origin=f"http://{host}", headers={"Host": host})
    assert await socket.result("calc.add", [1, 2]) == 3
    await socket.close()


async def test_a_page_let_in_only_by_a_star_holds_no_anonymous_scopes(
    make_client: MakeClient,
) -> None:
    client = await make_client(cors_origins=("*",))
    socket = await connect(client, origin=EVIL)
    assert (await socket.error("calc.add", [1, 2]))["code"] == -32001
    await socket.close()


async def test_a_host_we_do_not_serve_is_refused(client: Client) -> None:
    status, _, body = await upgrade(client, Host="evil.example")
    assert status == 403
    assert body["error"]["data"] == {"host": "evil.example"}
    assert body["id"] is None


async def test_a_get_without_an_upgrade_is_405(client: Client) -> None:
    response = await client.get("/rpc")
    put = await client.put("/rpc")
    assert (response.status, put.status) == (405, 405)
    assert response.headers["Allow"] == put.headers["Allow"]  # as for any other method
    assert await response.json() == await put.json()


@pytest.mark.parametrize("how", ["header", "query"])
async def test_a_key_sent_at_the_upgrade_makes_every_call(
    make_client: MakeClient, keys: Path, how: str
) -> None:
    key = new_key(keys, "calculator", "calc")
    client = await make_client(keys_file=str(keys), anonymous_scopes=())
    if how == "header":
        socket = await connect(client, headers=bearer(key))
    else:
        socket = await connect(client, params={"key": key})
    assert await socket.result("calc.add", [2, 3]) == 5
    error = await socket.error("weather.get_emoji", ["Paris"])
    assert (error["code"], error["data"]["required_scope"]) == (-32002, "weather")
    await socket.close()


async def test_the_header_wins_over_the_query(make_client: MakeClient, keys: Path) -> None:
    key = new_key(keys, "calculator", "calc")
    client = await make_client(keys_file=str(keys), anonymous_scopes=(), auth_failure_delay_s=0)
    socket = await connect(client, headers=bearer(key), params={"key": "rpch_wrong"})
    assert await socket.result("calc.add", [2, 3]) == 5
    await socket.close()


async def test_a_wrong_key_at_the_upgrade_fails_each_call(
    make_client: MakeClient, keys: Path
) -> None:
    new_key(keys, "calculator", "calc")
    client = await make_client(keys_file=str(keys), anonymous_scopes=(), auth_failure_delay_s=0)
    socket = await connect(client, params={"key": "rpch_wrong"})
    error = await socket.error("calc.add", [2, 3])
    assert (error["code"], error["data"]["reason"]) == (-32001, "unknown key")
    assert "rpch_wrong" not in str(error)
    await socket.close()


async def test_subscribing_needs_the_scope_as_any_call_does(
    make_client: MakeClient, keys: Path
) -> None:
    scopeless = new_key(keys, "nothing")
    client = await make_client(keys_file=str(keys), anonymous_scopes=("calc",))
    socket = await connect(client, headers=bearer(scopeless))
    error = await socket.error("tasks.subscribe")
    assert (error["code"], error["data"]["required_scope"]) == (-32002, "tasks:submit")
    assert "methods" in await socket.result("rpc.discover")  # refused per call: still open
    await socket.close()
    anonymous = await connect(client)
    error = await anonymous.error("tasks.subscribe")
    assert (error["code"], error["data"]["required_scope"]) == (-32001, "tasks:submit")
    assert await anonymous.result("calc.add", [1, 1]) == 2
    await anonymous.close()


async def test_past_max_streams_an_upgrade_gets_503_with_retry_after(
    make_client: MakeClient,
) -> None:
    client = await make_client(max_streams=1)
    first = await connect(client)
    status, headers, body = await upgrade(client)
    assert status == 503
    assert headers["Retry-After"] == "5"
    assert body == {
        "jsonrpc": "2.0",
        "error": {
            "code": -32005,
            "message": "Too many live connections: the server holds as many WebSocket "
            "sessions and event streams as it may; retry after Retry-After",
            "data": {"limit": 1, "retry_after_s": 5},
        },
        "id": None,
    }
    assert await first.result("calc.add", [1, 1]) == 2  # the one open is unaffected
    await first.close()
    await until_streams(client, 0)
    second = await connect(client)
    assert await second.result("calc.add", [2, 2]) == 4
    await second.close()


async def test_past_max_subscriptions_a_subscribe_gets_32006(make_client: MakeClient) -> None:
    client = await make_client(max_subscriptions=2)
    socket = await connect(client)
    held = [(await socket.result("tasks.subscribe"))["subscription"] for _ in range(2)]
    error = await socket.error("tasks.subscribe")
    assert error == {
        **quota_exceeded("subscriptions", 2, 2),
        "message": "Too many subscriptions: unsubscribe from some, or open another connection",
    }
    assert await socket.result("tasks.unsubscribe", [held[0]]) is True
    assert await socket.result("tasks.unsubscribe", [held[0]]) is False
    assert (await socket.result("tasks.subscribe"))["subscription"] not in held
    other = await connect(client)  # the cap is per connection
    assert "subscription" in await other.result("tasks.subscribe")
    await other.close()
    await socket.close()


async def test_over_plain_http_subscribing_says_to_use_a_stream(client: Client) -> None:
    for method, params in [("tasks.subscribe", None), ("tasks.unsubscribe", ["0x" + "0" * 16])]:
        response = await call(client, method, params)
        assert response["error"] == {
            "code": -32007,
            "message": "Subscriptions need a stream: call this over a WebSocket (GET /rpc), "
            "or POST it with Accept: text/event-stream",
            "data": {"method": method},
        }


async def until_streams(client: Client, count: int) -> None:
    """Wait until the server holds ``count`` live connections (it lets go of one just after
    its close handshake)."""
    streams = client.app[STREAMS]
    async with asyncio.timeout(5):
        while len(streams) != count:  # noqa: ASYNC110 (a count, with no event to await)
            await asyncio.sleep(0.01)
