"""The served OpenRPC document names the address it was asked at, so tools that call
`servers[0].url` (such as `@open-rpc/test-coverage`) reach this server, whatever its port."""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.rpc.discovery import Discovery
from app.server import build_api
from app.settings import Settings
from tests.helpers.openrpc_schemas import meta_errors
from tests.helpers.rpc import Client, MakeClient, result
from tests.helpers.server_process import server_process
from tests.helpers.ws import connect

_, DOCUMENT = build_api(Settings())


def served_url(document: Any) -> str:
    [server] = document["servers"]
    return str(server["url"])


async def test_both_routes_name_the_host_asked(client: Client) -> None:
    host = f"{client.host}:{client.port}"
    discovered = await result(client, "rpc.discover")
    response = await client.get("/openrpc.json")
    assert served_url(discovered) == served_url(await response.json()) == f"http://{host}/rpc"
    assert response.headers["Vary"] == "X-Forwarded-Proto"
    assert meta_errors(discovered) == []


async def test_a_tls_proxy_gets_https(client: Client) -> None:
    response = await client.get("/openrpc.json", headers={"X-Forwarded-Proto": "https, http"})
    assert served_url(await response.json()) == f"https://{client.host}:{client.port}/rpc"
    odd = await client.get("/openrpc.json", headers={"X-Forwarded-Proto": "gopher"})
    assert served_url(await odd.json()).startswith("http://")


async def test_a_websocket_call_names_its_host_too(client: Client) -> None:
    socket = await connect(client)
    try:
        document = await socket.result("rpc.discover")
    finally:
        await socket.close()
    assert served_url(document) == f"http://{client.host}:{client.port}/rpc"


async def test_a_cross_origin_reply_varies_on_both(make_client: MakeClient) -> None:
    client = await make_client(cors_origins=("https://app.example",))
    response = await client.get("/openrpc.json", headers={"Origin": "https://app.example"})
    assert response.headers["Vary"] == "X-Forwarded-Proto, Origin"


@pytest.mark.parametrize("host", ["a b.example", "x.example/evil", "x.example:1:2", "[zz]"])
async def test_a_host_unfit_for_a_url_gets_the_default(make_client: MakeClient, host: str) -> None:
    client = await make_client(allowed_hosts=("*",))
    response = await client.get("/openrpc.json", headers={"Host": host})
    assert served_url(await response.json()) == "http://127.0.0.1:8080/rpc"


async def test_a_process_on_a_free_port_names_that_port() -> None:
    async with server_process() as server, aiohttp.ClientSession() as session:
        async with session.get(f"{server.url}/openrpc.json") as response:
            document = await response.json()
        async with session.post(
            served_url(document),
            json={"jsonrpc": "2.0", "method": "calc.add", "params": [2, 3], "id": 1},
        ) as response:
            assert await response.json() == {"jsonrpc": "2.0", "result": 5, "id": 1}
    assert served_url(document) == f"{server.url}/rpc"


HOSTS = st.from_regex(
    r"\A[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]{1,10}){0,3}(:[0-9]{1,5})?\Z"
)


@given(hosts=st.lists(HOSTS, min_size=1, max_size=200))
def test_each_document_names_its_own_host_however_many_ask(hosts: list[str]) -> None:
    """The per-address cache is bounded, and what it keeps never answers the wrong host."""
    discovery = Discovery(DOCUMENT)
    for host in hosts:
        served = orjson.loads(discovery.served({"Host": host}))
        assert served_url(served) == f"http://{host}/rpc"
        assert {**served, "servers": DOCUMENT["servers"]} == DOCUMENT
    assert discovery.served({}) == discovery.default
