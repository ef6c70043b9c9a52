"""The reference: bare aiohttp that reads the body, parses it with orjson, and answers a fixed
valid JSON-RPC response. Nothing a JSON-RPC server does can be cheaper, so rpc-hub's speed is
reported as a share of this one's, measured in the same run on the same core.

    python -m bench.ceiling --port 8090 [--loop uvloop]
"""

from __future__ import annotations

import argparse
import asyncio
from functools import cache

import orjson
from aiohttp import web

SINGLE = b'{"jsonrpc":"2.0","result":5,"id":1}'


@cache
def batch_response(size: int) -> bytes:
    return b"[" + b",".join([SINGLE] * size) + b"]"


async def rpc(request: web.Request) -> web.Response:
    doc = orjson.loads(await request.read())
    body = batch_response(len(doc)) if type(doc) is list else SINGLE
    return web.Response(body=body, content_type="application/json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    args = parser.parse_args()
    if args.loop == "uvloop":  # the bench asks for it only where it is installed
        import uvloop  # type: ignore[import-not-found, unused-ignore]

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    app = web.Application()
    app.router.add_post("/rpc", rpc)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
