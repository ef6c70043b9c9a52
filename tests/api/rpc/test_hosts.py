"""Host and Origin checks: refused before anything runs, with a JSON-RPC body saying why."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.keys import bearer, new_key
from tests.helpers.probe import Probe
from tests.helpers.rpc import Client, MakeClient

CALL = {"jsonrpc": "2.0", "method": "probe.count", "id": 1}


async def rpc(client: Client, **headers: str) -> tuple[int, object]:
    response = await client.post("/rpc", json=CALL, headers=headers)
    return response.status, await response.json()


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "127.0.0.2", "[::2]"])
async def test_a_host_we_do_not_serve_is_refused_everywhere_but_health(
    client: Client, probe: Probe, host: str
) -> None:
    status, body = await rpc(client, Host=host)
    assert status == 403
    assert body == {
        "jsonrpc": "2.0",
        "error": {
            "code": -32600,
            "message": "Forbidden: this server does not answer to that Host; its operator "
            "can add it to RPC_ALLOWED_HOSTS",
            "data": {"host": host},
        },
        "id": None,
    }
    for path in ("/", "/openrpc.json"):
        assert (await client.get(path, headers={"Host": host})).status == 403
    for path in ("/healthz", "/readyz"):  # probes from load balancers name no host of ours
        assert (await client.get(path, headers={"Host": host})).status == 200
    assert probe.calls == 0


@pytest.mark.parametrize("host", ["localhost:8080", "127.0.0.1", "LOCALHOST", "[::1]:9000"])
async def test_the_local_names_are_served_by_default(client: Client, host: str) -> None:
    assert (await rpc(client, Host=host))[0] == 200


async def test_an_allow_list_replaces_the_default(make_client: MakeClient) -> None:
    client = await make_client(allowed_hosts=("api.example",))
    assert (await rpc(client, Host="api.example:443"))[0] == 200
    assert (await rpc(client, Host="localhost"))[0] == 403


async def test_a_star_turns_the_check_off(make_client: MakeClient) -> None:
    client = await make_client(allowed_hosts=("*",))
    assert (await rpc(client, Host="anything.example"))[0] == 200


async def test_a_foreign_origin_is_refused_and_nothing_runs(client: Client, probe: Probe) -> None:
    status, body = await rpc(client, Host="localhost:8080", Origin="http://evil.example")
    assert status == 403
    assert body["error"]["data"] == {"origin": "http://evil.example"}  # type: ignore[index]
    assert probe.calls == 0


async def test_our_own_origin_and_no_origin_are_served(client: Client) -> None:
    assert (await rpc(client, Host="localhost:8080", Origin="http://localhost:8080"))[0] == 200
    assert (await rpc(client, Host="localhost:8080"))[0] == 200


async def test_an_origin_allowed_by_cors_is_served(make_client: MakeClient) -> None:
    client = await make_client(cors_origins=("https://app.example",))
    assert (await rpc(client, Origin="https://app.example"))[0] == 200
    assert (await rpc(client, Origin="https://other.example"))[0] == 403


async def test_cors_star_lets_pages_call_with_a_key_but_never_anonymously(
    make_client: MakeClient, tmp_path: Path
) -> None:
    key = new_key(tmp_path / "keys.jsonl", "page", "probe")
    client = await make_client(cors_origins=("*",), keys_file=str(tmp_path / "keys.jsonl"))
    status, body = await rpc(client, Origin="https://any.example")
    assert status == 200
    assert body["error"]["code"] == -32001  # type: ignore[index]
    status, body = await rpc(client, Origin="https://any.example", **bearer(key))
    assert body["result"] == 1  # type: ignore[index]
    # Without an Origin (curl) the loopback anonymous scopes still apply.
    assert (await rpc(client))[1]["result"] == 2  # type: ignore[index]


@pytest.mark.parametrize("host", ["[::1]evil", "[::1]:80x", "localhost:x"])
async def test_malformed_host_headers_are_refused(client: Client, host: str) -> None:
    assert (await rpc(client, Host=host))[0] == 403
