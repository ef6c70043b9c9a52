"""The HTTP surface: routes, status codes, headers, request ids and CORS."""

from __future__ import annotations

import gzip
import logging
from typing import Any

import orjson
import pytest

from app.server.keys import DISPATCHER, STORES
from tests.helpers.rpc import Client, post

ADD = orjson.dumps({"jsonrpc": "2.0", "method": "calc.add", "params": [2, 3], "id": 1})
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/json-rpc",
        "application/jsonrequest",
        "Application/JSON",
    ],
)
async def test_json_media_types_are_accepted(client: Client, content_type: str) -> None:
    response = await client.post("/rpc", data=ADD, headers={"Content-Type": content_type})
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json"
    assert await response.json() == {"jsonrpc": "2.0", "result": 5, "id": 1}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_other_media_types_get_415_with_a_json_rpc_error(
    client: Client, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await client.post("/rpc", data=ADD, headers=headers)
    assert response.status == 415
    body = await response.json()
    assert body["id"] is None
    assert body["error"]["code"] == -32600
    assert "Content-Type: application/json" in body["error"]["message"]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
async def test_other_http_methods_get_405_with_a_json_rpc_error(
    client: Client, method: str
) -> None:
    response = await client.request(method, "/rpc")
    assert response.status == 405
    assert "POST" in response.headers["Allow"]
    body = await response.json()
    assert body["error"]["code"] == -32600
    assert "POST" in body["error"]["message"]
    assert body["id"] is None


async def test_unknown_paths_get_a_json_404(client: Client) -> None:
    response = await client.get("/nope")
    assert response.status == 404
    assert "POST /rpc" in (await response.json())["error"]["message"]


async def test_success_is_200_and_notifications_204(client: Client) -> None:
    assert (await post(client, ADD))[0] == 200
    response = await client.post(
        "/rpc", json={"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2]}
    )
    assert response.status == 204
    assert "Content-Type" not in response.headers


async def test_errors_are_200_too(client: Client) -> None:
    status, body = await post(client, {"jsonrpc": "2.0", "method": "nope", "id": 1})
    assert status == 200
    assert body["error"]["code"] == -32601


async def test_health_and_readiness(client: Client) -> None:
    response = await client.get("/healthz")
    assert (response.status, await response.json()) == (200, {"status": "ok"})
    response = await client.get("/readyz")
    assert (response.status, await response.json()) == (200, {"status": "ready"})
    client.app[STORES].drain()
    response = await client.get("/readyz")
    assert (response.status, await response.json()) == (503, {"status": "draining"})
    assert (await client.get("/healthz")).status == 200


async def test_openrpc_document_is_served(client: Client) -> None:
    response = await client.get("/openrpc.json")
    assert response.status == 200
    document = await response.json()
    _, discovered = await post(client, {"jsonrpc": "2.0", "method": "rpc.discover", "id": 1})
    assert discovered["result"] == document
    assert "calc.add" in [m["name"] for m in document["methods"]]


class TestHeaders:
    async def test_request_id_is_echoed(self, client: Client) -> None:
        response = await client.post(
            "/rpc",
            data=ADD,
            headers={"Content-Type": "application/json", "X-Request-ID": "abc-123"},
        )
        assert response.headers["X-Request-ID"] == "abc-123"

    async def test_request_id_is_generated_when_absent(self, client: Client) -> None:
        first = (
            await client.post("/rpc", data=ADD, headers={"Content-Type": "application/json"})
        ).headers["X-Request-ID"]
        second = (await client.get("/healthz")).headers["X-Request-ID"]
        assert first and second and first != second

    @pytest.mark.parametrize("hostile", ["a b", "x" * 200, "line\tbreak", "ü"])
    async def test_an_unsafe_request_id_is_replaced(self, client: Client, hostile: str) -> None:
        response = await client.get("/healthz", headers={"X-Request-ID": hostile})
        assert response.headers["X-Request-ID"] != hostile

    async def test_server_header_reveals_no_version(self, client: Client) -> None:
        for response in [
            await client.get("/healthz"),
            await client.get("/rpc"),
            await client.post("/rpc", data=ADD, headers={"Content-Type": "application/json"}),
        ]:
            assert response.headers["Server"] == "rpc-hub"


class TestCors:
    ORIGIN = "https://app.example"

    async def preflight(self, client: Client, origin: str) -> Any:
        return await client.options(
            "/rpc",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )

    async def test_by_default_no_origin_is_allowed(self, client: Client) -> None:
        response = await self.preflight(client, self.ORIGIN)
        assert "Access-Control-Allow-Origin" not in response.headers
        response = await client.post(
            "/rpc", data=ADD, headers={"Content-Type": "application/json", "Origin": self.ORIGIN}
        )
        # Refused outright, not just unreadable: the call never runs (see test_hosts.py).
        assert response.status == 403
        assert "Access-Control-Allow-Origin" not in response.headers

    async def test_preflight_from_an_allowed_origin(self, make_client: Any) -> None:
        client = await make_client(cors_origins=(self.ORIGIN, "https://other.example"))
        response = await self.preflight(client, self.ORIGIN)
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == self.ORIGIN
        assert response.headers["Vary"] == "Origin"
        assert response.headers["Access-Control-Allow-Methods"] == "POST"
        assert response.headers["Access-Control-Allow-Headers"] == "Content-Type, Authorization"

    async def test_actual_request_from_an_allowed_origin(self, make_client: Any) -> None:
        client = await make_client(cors_origins=(self.ORIGIN,))
        response = await client.post(
            "/rpc", data=ADD, headers={"Content-Type": "application/json", "Origin": self.ORIGIN}
        )
        assert response.headers["Access-Control-Allow-Origin"] == self.ORIGIN
        assert response.headers["Vary"] == "Origin"
        assert "X-Request-ID" in response.headers["Access-Control-Expose-Headers"]

    async def test_a_disallowed_origin_gets_no_cors_headers(self, make_client: Any) -> None:
        client = await make_client(cors_origins=(self.ORIGIN,))
        response = await self.preflight(client, "https://evil.example")
        assert not [h for h in response.headers if h.lower().startswith("access-control-")]
        response = await client.post(
            "/rpc",
            data=ADD,
            headers={"Content-Type": "application/json", "Origin": "https://evil.example"},
        )
        assert not [h for h in response.headers if h.lower().startswith("access-control-")]

    async def test_wildcard_echoes_the_exact_origin(self, make_client: Any) -> None:
        client = await make_client(cors_origins=("*",))
        response = await self.preflight(client, "http://localhost:5173")
        assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
        assert response.headers["Vary"] == "Origin"

    async def test_errors_carry_cors_headers_too(self, make_client: Any) -> None:
        client = await make_client(cors_origins=(self.ORIGIN,))
        response = await client.post(
            "/rpc", data=b"x", headers={"Content-Type": "text/plain", "Origin": self.ORIGIN}
        )
        assert response.status == 415
        assert response.headers["Access-Control-Allow-Origin"] == self.ORIGIN


class TestEveryResponse:
    """Whatever answers, and however: request id, a versionless Server header, and CORS."""

    ORIGIN = "https://app.example"

    @pytest.mark.parametrize(
        ("method", "path", "headers", "body", "status"),
        [
            ("POST", "/rpc", JSON, ADD, 200),
            ("POST", "/rpc", JSON, b'{"jsonrpc":"2.0","method":"calc.add","params":[1,2]}', 204),
            ("POST", "/rpc", JSON, b"x" * 4096, 413),
            ("POST", "/rpc", {"Content-Type": "text/plain"}, ADD, 415),
            ("GET", "/rpc", {}, None, 405),
            ("OPTIONS", "/rpc", {"Access-Control-Request-Method": "POST"}, None, 204),
            ("GET", "/healthz", {}, None, 200),
            ("GET", "/readyz", {}, None, 200),
            ("GET", "/openrpc.json", {}, None, 200),
            ("GET", "/", {}, None, 200),
            ("GET", "/static/console.js", {}, None, 200),
            ("GET", "/static/missing.js", {}, None, 404),
            ("DELETE", "/nowhere", {}, None, 404),
        ],
    )
    async def test_headers(
        self,
        make_client: Any,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes | None,
        status: int,
    ) -> None:
        client = await make_client(cors_origins=(self.ORIGIN,), max_body_bytes=2048)
        response = await client.request(
            method, path, data=body, headers={"Origin": self.ORIGIN, **headers}
        )
        await response.read()
        assert response.status == status
        assert response.headers["X-Request-ID"]
        assert response.headers["Server"] == "rpc-hub"
        assert response.headers["Access-Control-Allow-Origin"] == self.ORIGIN
        assert "Origin" in response.headers["Vary"].split(", ")

    async def test_an_unexpected_failure_is_a_json_500_that_reveals_nothing(
        self, make_client: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        client = await make_client(cors_origins=(self.ORIGIN,))

        async def broken(*args: Any) -> bytes:
            raise RuntimeError("secret internal detail")

        monkeypatch.setattr(client.app[DISPATCHER], "dispatch", broken)
        response = await client.post(
            "/rpc", data=ADD, headers={**JSON, "Origin": self.ORIGIN, "X-Request-ID": "r-500"}
        )
        raw = await response.read()
        assert response.status == 500
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["X-Request-ID"] == "r-500"
        assert response.headers["Server"] == "rpc-hub"
        assert response.headers["Access-Control-Allow-Origin"] == self.ORIGIN
        assert b"secret" not in raw
        error = orjson.loads(raw)["error"]
        assert (error["code"], set(error["data"])) == (-32603, {"correlation_id"})
        assert any(
            error["data"]["correlation_id"] in record.getMessage() and record.exc_info
            for record in caplog.records
        )


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_body_that_does_not_decode_is_a_400_without_a_traceback(
    client: Client, encoding: str, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {"Content-Type": "application/json", "Content-Encoding": encoding}
    response = await client.post("/rpc", data=b"not compressed at all", headers=headers)
    assert response.status == 400
    body = await response.json()
    assert body["id"] is None and body["error"]["code"] == -32700
    assert body["error"]["data"] == {
        "problem": f"the body is not valid {encoding}: it does not decode as Content-Encoding says",
        "line": None,
        "column": None,
        "position": None,
    }
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    # A well-formed compressed body is read as usual.
    packed = gzip.compress(ADD)
    headers["Content-Encoding"] = "gzip"
    response = await client.post("/rpc", data=packed, headers=headers)
    assert (await response.json())["result"] == 5


async def test_every_refusal_is_logged_with_its_request_id_and_client(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="app.transport")
    response = await client.post("/rpc", data=b"x", headers={"Content-Type": "text/plain"})
    assert response.status == 415
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused")]
    assert line == (
        f"refused POST /rpc: 415 (request {response.headers['X-Request-ID']}, client 127.0.0.1)"
    )
