"""deploy/: the compose file, HAProxy's config and Redis's config, checked with what runs
here. No Docker engine (nor `docker compose`) runs where the tests run, so the compose file
is validated against the Compose Specification's own schema and read for consistency;
HAProxy checks its config itself, and the Redis config starts a real redis-server.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import redis
import yaml

from tests.helpers import redis_server

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SCHEMA = ROOT / "tests/fixtures/compose-spec/compose-spec.json"
# Debian puts it in /usr/sbin, which a user's PATH may lack.
HAPROXY = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/sbin")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def replicas(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in compose["services"].items() if name.startswith("rpc-hub")}


def test_the_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).validate(compose)


def test_two_replicas_share_one_durable_redis_behind_a_health_checked_balancer(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert len(replicas(compose)) == 2
    for replica in replicas(compose).values():
        scheme, _, rest = replica["environment"]["RPC_STORE"].partition("://")
        assert (scheme, rest.rpartition("@")[2]) == ("redis", "redis:6379/0")
        assert replica["depends_on"]["redis"]["condition"] == "service_healthy"
        assert (ROOT / "deploy" / replica["build"] / "Dockerfile").is_file()
    mounts = dict(volume.split(":")[:2] for volume in services["redis"]["volumes"])
    config = services["redis"]["command"][1]
    assert (DEPLOY / next(host for host, path in mounts.items() if path == config)).is_file()
    assert services["redis"]["healthcheck"]["test"][-1] == "ping"
    balancer = services["haproxy"]
    assert set(balancer["depends_on"]) == set(replicas(compose))
    assert balancer["ports"] == ["127.0.0.1:8080:8080"], "published on loopback only"
    servers = [line.split()[1] for line in haproxy_config() if line.startswith("server ")]
    assert servers == list(replicas(compose))
    assert "option httpchk GET /readyz" in haproxy_config()


def haproxy_config() -> list[str]:
    return [line.strip() for line in (DEPLOY / "haproxy.cfg").read_text().splitlines()]


@pytest.mark.skipif(HAPROXY is None and not os.environ.get("CI"), reason="haproxy not installed")
def test_haproxy_accepts_its_config() -> None:
    assert HAPROXY is not None
    checked = subprocess.run(
        [HAPROXY, "-c", "-f", str(DEPLOY / "haproxy.cfg")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    assert "Configuration file is valid" in checked.stdout + checked.stderr


@redis_server.needs_redis
def test_redis_starts_from_the_shipped_config_with_aof_and_no_eviction(tmp_path: Path) -> None:
    server = redis_server.RedisServer(tmp_path, config=DEPLOY / "redis.conf").start()
    try:
        client = redis.Redis(port=server.port, socket_timeout=5, decode_responses=True)
        names = ("appendonly", "appendfsync", "maxmemory-policy", "save")
        assert {name: client.config_get(name)[name] for name in names} == {
            "appendonly": "yes",
            "appendfsync": "everysec",
            "maxmemory-policy": "noeviction",
            "save": "",
        }
        client.close()
    finally:
        server.stop()
