"""aiohttp-rpc 2.0 serving `calc.add`, tuned: orjson to parse and encode, only the exception
middleware (the default chain also injects the request into every call's kwargs), no access
log, the event loop the bench names (`--loop`, as for the ceiling).

    bench/.peers-venv/bin/python bench/peers/aiohttp_rpc_app.py --port 8092
"""

from __future__ import annotations

import argparse
import asyncio

import aiohttp_rpc  # type: ignore[import-not-found, unused-ignore]
import orjson
from aiohttp import web


async def add(a: int, b: int) -> int:
    return a + b


def _encode(document: object) -> str:
    return orjson.dumps(document).decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="uvloop")
    args = parser.parse_args()
    if args.loop == "uvloop":
        import uvloop  # type: ignore[import-not-found, unused-ignore]

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    server = aiohttp_rpc.JSONRPCServer(
        middlewares=(aiohttp_rpc.middlewares.exception_middleware,),
        json_serialize=_encode,
        json_deserialize=orjson.loads,
    )
    server.add_method(aiohttp_rpc.JSONRPCMethod(add, name="calc.add"))
    app = web.Application()
    app.router.add_post("/rpc", server.handle_http_request)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
