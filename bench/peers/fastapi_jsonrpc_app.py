"""fastapi-jsonrpc 4.1 serving `calc.add` on uvicorn, tuned: httptools as the HTTP parser, the
event loop the bench names (`--loop`, as for the ceiling), no access log, one worker (pinned to
one core like every server here). Its params are always by name, so the bench sends it
`{"a": 2, "b": 3}`.

    bench/.peers-venv/bin/python bench/peers/fastapi_jsonrpc_app.py --port 8093
"""

from __future__ import annotations

import argparse

import fastapi_jsonrpc  # type: ignore[import-not-found, unused-ignore]
import uvicorn  # type: ignore[import-not-found, unused-ignore]


async def add(a: int, b: int) -> int:
    return a + b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="uvloop")
    args = parser.parse_args()
    api = fastapi_jsonrpc.API(openapi_url=None, docs_url=None, redoc_url=None)
    entrypoint = fastapi_jsonrpc.Entrypoint("/rpc")
    entrypoint.add_method_route(add, name="calc.add")
    api.bind_entrypoint(entrypoint)
    uvicorn.run(
        api,
        host="127.0.0.1",
        port=args.port,
        loop=args.loop,
        http="httptools",
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
