"""GET /metrics: Prometheus text, with bounded labels, behind the metrics scope."""

from __future__ import annotations

from pathlib import Path

import orjson
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers.keys import bearer, new_key
from tests.helpers.rpc import Client, MakeClient, post, result

Samples = dict[str, dict[tuple[tuple[str, str], ...], float]]


async def scrape(client: Client, **headers: str) -> Samples:
    """Every sample by metric name, then by its sorted labels."""
    response = await client.get("/metrics", headers=headers)
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return float(samples[name][tuple(sorted(labels.items()))])


async def test_calls_are_counted_by_method_and_outcome(client: Client) -> None:
    await result(client, "calc.add", [1, 2])
    await post(client, [
        {"jsonrpc": "2.0", "method": "calc.add", "params": [1], "id": 1},
        {"jsonrpc": "2.0", "method": "no.such_method", "id": 2},
    ])  # fmt: skip
    samples = await scrape(client)
    assert value(samples, "rpc_server_handled_total", method="calc.add", code="ok") == 1
    assert value(samples, "rpc_server_handled_total", method="calc.add", code="-32602") == 1
    assert value(samples, "rpc_server_handled_total", method="_OTHER", code="-32601") == 1
    assert value(samples, "rpc_server_started_total", method="calc.add") == 1  # bound first
    assert value(samples, "rpc_server_handling_seconds_count", method="calc.add") == 2
    assert value(samples, "rpc_batch_size_count") == 2
    assert value(samples, "rpc_batch_size_sum") == 3
    # Every registered method is there from the start, so rates never begin with a gap.
    assert value(samples, "rpc_server_started_total", method="cart.checkout") == 0


async def test_ten_thousand_made_up_method_names_add_no_series(make_client: MakeClient) -> None:
    client = await make_client(rate_limit=0)
    await result(client, "calc.add", [1, 2])
    before = await scrape(client)
    for start in range(0, 10_000, 100):
        batch = [
            {"jsonrpc": "2.0", "method": f"made.up_{n}", "id": n} for n in range(start, start + 100)
        ]
        await post(client, batch)
    after = await scrape(client)
    assert {name: set(series) for name, series in after.items()} == {
        name: set(series) for name, series in before.items()
    } | {"rpc_server_handled_total": set(after["rpc_server_handled_total"])}
    assert len(after["rpc_server_handled_total"]) == len(before["rpc_server_handled_total"]) + 1
    assert value(after, "rpc_server_handled_total", method="_OTHER", code="-32601") == 10_000


async def test_refusals_are_counted_by_reason(client: Client) -> None:
    await client.post("/rpc", data=b"{}", headers={"Content-Type": "text/plain"})
    await client.post(
        "/rpc",
        data=orjson.dumps({"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": 1}),
        headers={"Content-Type": "application/json", "Origin": "https://evil.example"},
    )
    samples = await scrape(client)
    assert value(samples, "rpc_rejected_total", reason="415") == 1
    assert value(samples, "rpc_rejected_total", reason="origin") == 1
    assert value(samples, "rpc_rejected_total", reason="auth") == 0


async def test_reading_metrics_needs_the_metrics_scope(
    make_client: MakeClient, tmp_path: Path
) -> None:
    keys_file = tmp_path / "keys.json"
    key = new_key(keys_file, "prometheus", "metrics")
    client = await make_client(anonymous_scopes=(), keys_file=str(keys_file))
    refused = await client.get("/metrics")
    assert refused.status == 403
    body = await refused.json()
    assert body["error"]["data"] == {"required_scope": "metrics"}
    assert "metrics scope" in body["error"]["message"]
    samples = await scrape(client, **bearer(key))
    assert value(samples, "rpc_rejected_total", reason="scope") == 1


async def test_metrics_can_be_switched_off(make_client: MakeClient) -> None:
    client = await make_client(metrics=False)
    assert (await client.get("/metrics")).status == 404
