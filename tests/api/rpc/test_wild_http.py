"""What clients found in the wild need of POST /rpc: a body with no Content-Type read as JSON
(unless a foreign page could have sent it), and a status for notifications they can take."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
import pytest

from app.client import Client as RemoteClient
from app.server import create_app
from app.settings import Settings
from tests.helpers.rpc import Client, MakeClient
from tests.helpers.ws import connect

ADD = orjson.dumps({"jsonrpc": "2.0", "method": "calc.add", "params": [2, 3], "id": 1})
UPDATE = orjson.dumps({"jsonrpc": "2.0", "method": "calc.update", "params": [1, 2]})
ALLOWED = "https://app.example"


async def untyped_post(client: Client, body: bytes, **headers: str) -> Any:
    """POST ``body`` with no Content-Type header at all (aiohttp adds one unless told not to)."""
    response = await client.post(
        "/rpc", data=body, headers=headers, skip_auto_headers=["Content-Type"]
    )
    await response.read()
    assert "Content-Type" not in response.request_info.headers
    return response


# ---- no Content-Type -----------------------------------------------------------------------


async def test_a_body_without_content_type_or_origin_is_read_as_json(client: Client) -> None:
    response = await untyped_post(client, ADD)
    assert response.status == 200
    assert await response.json() == {"jsonrpc": "2.0", "result": 5, "id": 1}


async def test_without_content_type_a_batch_and_a_notification_work_too(client: Client) -> None:
    batch = orjson.dumps([orjson.loads(ADD), orjson.loads(UPDATE)])
    response = await untyped_post(client, batch)
    assert await response.json() == [{"jsonrpc": "2.0", "result": 5, "id": 1}]
    assert (await untyped_post(client, UPDATE)).status == 204


async def test_without_content_type_a_foreign_origin_is_still_refused(
    make_client: MakeClient,
) -> None:
    # A page's fetch of an untyped Blob sends no Content-Type, but always its Origin.
    client = await make_client(cors_origins=(ALLOWED,))
    for origin in ("https://evil.example", "null"):
        response = await untyped_post(client, ADD, Origin=origin)
        assert response.status == 403
        assert (await response.json())["error"]["data"] == {"origin": origin}


async def test_without_content_type_our_own_and_allowed_origins_are_served(
    make_client: MakeClient,
) -> None:
    client = await make_client(cors_origins=(ALLOWED,))
    own = f"http://{client.host}:{client.port}"
    for origin in (ALLOWED, own):
        response = await untyped_post(
            client, ADD, Origin=origin, Host=f"{client.host}:{client.port}"
        )
        assert response.status == 200, origin
        assert (await response.json())["result"] == 5


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""],
)
@pytest.mark.parametrize("origin", [None, ALLOWED])
async def test_a_content_type_that_is_not_json_is_still_415(
    make_client: MakeClient, content_type: str, origin: str | None
) -> None:
    client = await make_client(cors_origins=(ALLOWED,))
    headers = {"Content-Type": content_type, **({"Origin": origin} if origin else {})}
    response = await client.post("/rpc", data=ADD, headers=headers)
    assert response.status == 415
    assert (await response.json())["error"]["data"] == {"received": content_type}


# ---- the status of a reply with no body ----------------------------------------------------


async def test_notifications_get_204_with_no_body_by_default(client: Client) -> None:
    for body in (UPDATE, orjson.dumps([orjson.loads(UPDATE)] * 2)):
        response = await client.post(
            "/rpc", data=body, headers={"Content-Type": "application/json"}
        )
        assert response.status == 204
        assert await response.read() == b""
        assert "Content-Type" not in response.headers


async def test_notification_status_200_answers_an_empty_body_of_length_0(
    make_client: MakeClient,
) -> None:
    client = await make_client(notification_status=200)
    for body in (UPDATE, orjson.dumps([orjson.loads(UPDATE)] * 2)):
        response = await client.post(
            "/rpc", data=body, headers={"Content-Type": "application/json"}
        )
        assert response.status == 200
        assert response.headers["Content-Length"] == "0"
        assert await response.read() == b""
    # Calls are answered as ever.
    response = await client.post("/rpc", data=ADD, headers={"Content-Type": "application/json"})
    assert (response.status, await response.json()) == (
        200,
        {"jsonrpc": "2.0", "result": 5, "id": 1},
    )


@pytest.mark.parametrize("status", [200, 204])
async def test_a_notification_asking_for_a_stream_gets_the_same_status(
    make_client: MakeClient, status: int
) -> None:
    client = await make_client(notification_status=status)
    headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
    response = await client.post("/rpc", data=UPDATE, headers=headers)
    assert response.status == status
    assert await response.read() == b""


async def test_notification_status_leaves_websockets_alone(make_client: MakeClient) -> None:
    socket = await connect(await make_client(notification_status=200))
    await socket.ws.send_bytes(UPDATE)
    assert await socket.result("calc.add", [1, 1]) == 2  # the notification got no frame
    await socket.close()


async def test_the_python_client_takes_either_status(aiohttp_server: Any) -> None:
    for status in (200, 204):
        server = await aiohttp_server(
            create_app(dataclasses.replace(Settings(), notification_status=status))
        )
        async with RemoteClient(f"http://127.0.0.1:{server.port}/rpc") as remote:
            assert await remote.notify("calc.update", 1, 2) is None
            async with remote.batch() as batch:
                batch.notify("calc.update", 3)
            assert await remote.call("calc.add", 2, 3) == 5
