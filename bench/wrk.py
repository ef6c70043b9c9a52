"""Drive a server with wrk: POST bodies to /rpc from a generated Lua script, keep-alive,
and read back requests/s and latency percentiles."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

_LUA = """
local bodies = {%(bodies)s}
local headers = {["Content-Type"] = "application/json"%(headers)s}
local i = 0
request = function()
  i = i %% #bodies + 1
  return wrk.format("POST", "/rpc", headers, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\nRESULT {"requests": %%d, "duration_us": %%d, ' ..
    '"p50_us": %%d, "p99_us": %%d, "errors": %%d, "non_2xx": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


@dataclass(frozen=True)
class Load:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    """Failed requests: socket errors and timeouts, plus non-2xx answers."""
    requests: int = 0
    non_2xx: int = 0


def ensure_wrk() -> str:
    """wrk's path, installing Debian's package when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update", "-q"], check=True, env=env)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-q", "wrk"], check=True, env=env)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is still missing after apt-get install wrk")
    return found


def script(bodies: list[bytes], headers: Mapping[str, str] | None = None) -> str:
    """A wrk Lua script that POSTs ``bodies`` in turn, with ``headers`` on every request."""
    quoted = ", ".join("[==[" + body.decode() + "]==]" for body in bodies)
    extra = "".join(f', ["{name}"] = [==[{value}]==]' for name, value in (headers or {}).items())
    return _LUA % {"bodies": quoted, "headers": extra}


def run(wrk: str, url: str, lua_path: str, seconds: int, connections: int, cpu: int | None) -> Load:
    """One bounded wrk run against ``url``."""
    command = [
        wrk,
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "-s",
        lua_path,
        url,
    ]
    if cpu is not None:
        command = ["taskset", "-c", str(cpu), *command]
    out = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    return Load(
        requests_per_s=result["requests"] / (result["duration_us"] / 1e6),
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        errors=result["errors"] + result["non_2xx"],
        requests=result["requests"],
        non_2xx=result["non_2xx"],
    )
