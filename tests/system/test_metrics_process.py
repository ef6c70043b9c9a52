"""GET /metrics from a real server process: open connections, and the metrics port."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers.redis_server import free_port
from tests.helpers.server_process import server_process


def gauge(text: str, name: str) -> float:
    [value] = [
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]
    return value


async def test_the_metrics_port_serves_the_same_numbers_alone() -> None:
    port = free_port()
    async with (
        server_process(env={"RPC_METRICS_PORT": str(port)}) as server,
        aiohttp.ClientSession() as http,
    ):
        await server.logged(f"metrics also on http://127.0.0.1:{port}/metrics")
        async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
            assert response.status == 200
            text = await response.text()
        assert gauge(text, "rpc_http_connections") == 0  # this scrape came to the other port
        async with http.get(f"{server.url}/metrics") as response:
            assert gauge(await response.text(), "rpc_http_connections") == 1  # this one
        async with http.get(f"http://127.0.0.1:{port}/rpc") as response:
            assert response.status == 404  # the metrics port serves nothing else
            assert (await response.json())["error"]["code"] == -32600
