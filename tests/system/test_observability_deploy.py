"""deploy/prometheus.yml and deploy/grafana-dashboard.json, checked with what runs here.

promtool checks the config, the server's /metrics text and the dashboard's PromQL; a real
Prometheus scrapes a real server set up as compose.yaml sets a replica, with a key holding
only the ``metrics`` scope; no Grafana runs here, so the dashboard is read for what its
import needs, and its queries are compared with what a real server exports.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers.keys import bearer, new_key
from tests.helpers.prometheus import (
    Prometheus,
    metric_names,
    needs_prometheus,
    needs_promtool,
    prometheus,
    promtool,
)
from tests.helpers.server_process import ServerProcess, server_process

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DS = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
GRID_COLUMNS = 24
TASK = {"type": "report", "queue": "reports"}
CALLS = [
    {"jsonrpc": "2.0", "method": "calc.add", "params": [2, 3], "id": 1},
    {"jsonrpc": "2.0", "method": "calc.add", "params": [2], "id": 2},
    {"jsonrpc": "2.0", "method": "no.such_method", "id": 3},
    {"jsonrpc": "2.0", "method": "tasks.submit", "params": TASK, "id": 4},
]
"""An answer, an error, an unknown name, a task (a queue's series appear with its first
task), and all as a batch: every family the dashboard reads gets samples."""
CALLER_SCOPES = "calc,tasks:submit"
KEYS_NEW = [sys.executable, "-m", "app.cli", "keys", "new"]


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def shipped_config() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    return loaded


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    return loaded


def targets(board: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for panel in board["panels"]:
        for target in panel["targets"]:
            yield panel, target


def exprs() -> list[str]:
    return [target["expr"] for _, target in targets(dashboard())]


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ``${NAME:-default}``, as ``docker compose`` reads it with ``env``."""
    return re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: env.get(m[1]) or m[2], value)


def replica_env(env: dict[str, str]) -> dict[str, str]:
    environment: dict[str, str] = compose()["x-rpc-hub"]["environment"]
    return {name: interpolate(value, env) for name, value in environment.items()}


@dataclass
class Replica:
    server: ServerProcess
    metrics_key: str
    key_file: Path
    """The metrics key, as Prometheus reads it (``credentials_file``)."""
    caller: str
    """A key that may make ``CALLS``: the replica serves no call without one."""


def made_keys(keys_file: Path, key_file: Path) -> tuple[str, str]:
    """A metrics key made as prometheus.yml says, kept in ``key_file``; and a caller's key."""
    made = subprocess.run(
        [*KEYS_NEW, "--file", str(keys_file), "--name", "prometheus", "--scopes", "metrics"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    key_file.write_text(made.stdout)  # the key and its newline, as a shell writes it
    return made.stdout.strip(), new_key(keys_file, "caller", *CALLER_SCOPES.split(","))


@asynccontextmanager
async def replica(tmp_path: Path) -> AsyncIterator[Replica]:
    """A server with compose.yaml's keys file and Host names, and no scopes for calls without
    a key (as on the replicas' 0.0.0.0)."""
    keys_file, key_file = tmp_path / "keys.json", tmp_path / "rpc_metrics_key"
    metrics_key, caller = await asyncio.to_thread(made_keys, keys_file, key_file)
    env = {
        "RPC_KEYS_FILE": str(keys_file),
        "RPC_ANONYMOUS_SCOPES": "",
        "RPC_ALLOWED_HOSTS": replica_env({})["RPC_ALLOWED_HOSTS"],
        "RPC_AUTH_FAILURE_DELAY_S": "0",
    }
    async with server_process(env=env) as server:
        yield Replica(server, metrics_key, key_file, caller)


async def make_calls(server: ServerProcess, headers: dict[str, str] | None = None) -> None:
    """``CALLS`` one by one, then as a batch."""
    async with aiohttp.ClientSession(headers=headers) as session:
        for payload in (*CALLS, CALLS):
            async with session.post(f"{server.url}/rpc", json=payload) as response:
                assert response.status == 200, await response.text()


async def called_and_scraped(server: ServerProcess) -> str:
    """GET /metrics (as an anonymous caller on loopback may), after ``CALLS``."""
    await make_calls(server)
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{server.url}/metrics") as response,
    ):
        assert response.status == 200, await response.text()
        return await response.text()


def sample_names(text: str) -> set[str]:
    return {s.name for family in text_string_to_metric_families(text) for s in family.samples}


# Prometheus


def test_compose_runs_prometheus_on_loopback_scraping_each_replica() -> None:
    services = compose()["services"]
    service = services["prometheus"]
    assert service["ports"] == ["127.0.0.1:9090:9090"], "published on loopback only"
    [config_flag] = [arg for arg in service["command"] if arg.startswith("--config.file=")]
    mounts = dict(volume.split(":")[:2] for volume in service["volumes"])
    assert mounts["./prometheus.yml"] == config_flag.partition("=")[2]

    [job] = shipped_config()["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    assert job["authorization"]["type"] == "Bearer"
    [secret] = service["secrets"]
    assert job["authorization"]["credentials_file"] == f"/run/secrets/{secret}"
    assert compose()["secrets"][secret] == {"environment": "RPC_METRICS_KEY"}

    # Each replica where HAProxy reaches it, and never HAProxy itself.
    haproxy = (DEPLOY / "haproxy.cfg").read_text().splitlines()
    servers = [line.split()[2] for line in map(str.strip, haproxy) if line.startswith("server ")]
    [static] = job["static_configs"]
    assert static["targets"] == servers
    assert {target.partition(":")[0] for target in servers} == {
        name for name in services if name.startswith("rpc-hub")
    }
    # The replicas answer to those names whatever Host names the operator sets.
    for env in ({}, {"RPC_ALLOWED_HOSTS": "rpc.example.com"}):
        allowed = replica_env(env)["RPC_ALLOWED_HOSTS"].split(",")
        assert {target.partition(":")[0] for target in servers} <= set(allowed)


@needs_promtool
def test_promtool_accepts_the_config(tmp_path: Path) -> None:
    shipped = promtool("check", "config", "--syntax-only", str(DEPLOY / "prometheus.yml"))
    assert shipped.returncode == 0, shipped.stdout + shipped.stderr
    # In full, with the key's file where the secret will be.
    config = shipped_config()
    key_file = tmp_path / "rpc_metrics_key"
    key_file.write_text("rpch_example\n")
    config["scrape_configs"][0]["authorization"]["credentials_file"] = str(key_file)
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    checked = promtool("check", "config", str(path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout


async def test_the_metrics_key_reads_a_replica_by_its_service_name(tmp_path: Path) -> None:
    async with replica(tmp_path) as deployed, aiohttp.ClientSession() as session:
        url = f"{deployed.server.url}/metrics"
        host = {"Host": "rpc-hub-1:8080"}
        async with session.get(url, headers=host) as anonymous:
            assert anonymous.status == 403
            assert (await anonymous.json())["error"]["data"]["required_scope"] == "metrics"
        async with session.get(url, headers={**host, **bearer(deployed.metrics_key)}) as scraped:
            assert scraped.status == 200, await scraped.text()


@needs_prometheus
async def test_prometheus_scrapes_a_replica_with_the_metrics_key(tmp_path: Path) -> None:
    async with replica(tmp_path) as deployed:
        await make_calls(deployed.server, bearer(deployed.caller))
        config = shipped_config()
        config["global"] = {"scrape_interval": "1s", "scrape_timeout": "1s"}
        job = config["scrape_configs"][0]
        job["static_configs"] = [{"targets": [f"127.0.0.1:{deployed.server.port}"]}]
        job["authorization"]["credentials_file"] = str(deployed.key_file)
        path = tmp_path / "prometheus.yml"
        path.write_text(yaml.safe_dump(config))

        async with prometheus(path, tmp_path / "data") as running:
            target = await running.first_scrape()
            assert target["health"] == "up", target["lastError"]
            assert target["scrapeUrl"].endswith("/metrics")
            for expr in exprs():
                await answered(running, expr)


async def answered(running: Prometheus, expr: str) -> None:
    """Prometheus evaluates ``expr`` and has data for it, once it has scraped twice (a rate
    needs two samples)."""
    async with asyncio.timeout(30):
        while True:
            answer = await running.api("query", query=expr)
            assert answer["status"] == "success", (expr, answer)
            if answer["data"]["result"]:
                return
            await asyncio.sleep(0.2)


@needs_promtool
async def test_the_metrics_output_passes_promtool_check_metrics() -> None:
    async with server_process() as server:
        text = await called_and_scraped(server)
    checked = promtool("check", "metrics", stdin=text)
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, "")


# Grafana


def test_the_dashboard_has_what_grafanas_import_needs() -> None:
    board = dashboard()
    assert isinstance(board["schemaVersion"], int) and board["schemaVersion"] >= 36
    assert board["id"] is None, "an import gets its id from Grafana"
    assert board["title"] and 0 < len(board["uid"]) <= 40
    [source] = board["__inputs"]
    assert (source["name"], source["type"], source["pluginId"]) == (
        "DS_PROMETHEUS",
        "datasource",
        "prometheus",
    )
    required = {(r["type"], r["id"]) for r in board["__requires"]}
    assert ("datasource", "prometheus") in required
    declared = {f"${{{i['name']}}}" for i in board["__inputs"]}
    assert set(re.findall(r"\$\{\w+\}", json.dumps(board))) <= declared

    panels = board["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels), "panel ids are unique"
    for panel in panels:
        assert ("panel", panel["type"]) in required
        assert panel["datasource"] == DS
        grid = panel["gridPos"]
        assert all(isinstance(grid[k], int) and grid[k] >= 0 for k in "hwxy"), panel["title"]
        assert grid["h"] > 0 and grid["w"] > 0 and grid["x"] + grid["w"] <= GRID_COLUMNS
        refs = [target["refId"] for target in panel["targets"]]
        assert refs and len(set(refs)) == len(refs), panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == DS and target["expr"].strip()
    for a, b in combinations((panel["gridPos"] for panel in panels), 2):
        assert not overlap(a, b), (a, b)


def overlap(a: dict[str, int], b: dict[str, int]) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


def test_the_dashboard_shows_what_the_issue_asks() -> None:
    named = set().union(*map(metric_names, exprs()))
    assert named == {
        "rpc_server_handled_total",
        "rpc_server_handling_seconds_bucket",
        "rpc_inflight",
        "rpc_live_sessions",
        "rpc_tasks",
        "rpc_tasks_oldest_pending_age_seconds",
        "rpc_workers_online",
    }
    assert any("histogram_quantile(0.99," in expr for expr in exprs())
    assert any("histogram_quantile(0.5," in expr for expr in exprs())
    assert any('rpc_tasks{state="pending"}' in expr and "by (queue)" in expr for expr in exprs())


async def test_the_dashboard_names_only_metrics_a_server_exports() -> None:
    async with server_process() as server:
        exported = sample_names(await called_and_scraped(server))
    for expr in exprs():
        names = metric_names(expr)
        assert names, expr
        assert names <= exported, (expr, names - exported)


@needs_promtool
def test_the_dashboard_queries_parse_as_promql(tmp_path: Path) -> None:
    rules = [
        {"record": f"dashboard:panel_{panel['id']}:{target['refId']}", "expr": target["expr"]}
        for panel, target in targets(dashboard())
    ]
    path = tmp_path / "dashboard-rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    checked = promtool("check", "rules", str(path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(rules)} rules found" in checked.stdout
