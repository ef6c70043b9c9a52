"""``--processes 2`` against 1, over the Redis store, beside one process on memory
(``make bench``, ``--only scale``), with every layer on (`variants.all_layers_flags`).

Single ``calc.add`` calls from wrk at 32 connections, against ``python -m app --processes N``
with nothing pinned: two server processes need both cores, and wrk needs one too, so
requests/s alone would flatter neither. What is comparable is the server's CPU per call: the
CPU time the server processes (and Redis, which the rate limiter asks once per request)
spent, divided by the calls answered. The memory row shows what the Redis store adds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench import scenarios, servers, variants, wrk
from bench.servers import cpu_s

BODY = b'{"jsonrpc":"2.0","method":"calc.add","params":[2,3],"id":1}'


@dataclass(frozen=True)
class ProcessRun:
    store: str
    processes: int
    requests_per_s: float
    p99_ms: float
    server_cpu_us_per_call: float
    redis_cpu_us_per_call: float


def run(
    wrk_path: str, logs: Path, seconds: int, connections: int, keys: variants.Keys
) -> list[ProcessRun]:
    lua = logs / "processes.lua"
    lua.write_text(wrk.script([BODY], keys.headers))
    runs = []
    with servers.redis(None) as redis:
        for store, count in (("memory", 1), ("redis", 1), ("redis", 2)):
            url = redis.url if store == "redis" else "memory"
            flags = (
                *("--store", url, "--processes", str(count)),
                *variants.all_layers_flags(keys),
                *scenarios.THROUGHPUT_FLAGS,
            )
            with servers.running(
                f"rpc-hub x{count} on {store}",
                servers.app_command(*flags),
                None,
                logs / f"processes-{store}-{count}.log",
                servers.APP_READY,
            ) as app:
                if "result" not in servers.post(app.url, BODY, keys.headers):
                    raise RuntimeError(f"--processes {count} on {store} refused the bench's call")
                wrk.run(wrk_path, app.url, str(lua), 2, connections, None)  # warm up
                pids = [app.process.pid, *servers.children(app.process.pid)]
                before, redis_before = cpu_s(pids), cpu_s([redis.pid])
                load = wrk.run(wrk_path, app.url, str(lua), seconds, connections, None)
                server_s, redis_s = cpu_s(pids) - before, cpu_s([redis.pid]) - redis_before
                if load.errors:
                    raise RuntimeError(f"--processes {count}: {load.errors} failed requests")
                runs.append(
                    ProcessRun(
                        store=store,
                        processes=count,
                        requests_per_s=load.requests_per_s,
                        p99_ms=load.p99_ms,
                        server_cpu_us_per_call=server_s / load.requests * 1e6,
                        redis_cpu_us_per_call=redis_s / load.requests * 1e6,
                    )
                )
    return runs
