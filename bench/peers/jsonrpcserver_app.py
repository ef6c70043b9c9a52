"""jsonrpcserver 5.0.9 serving `calc.add` on aiohttp, tuned: orjson to parse and encode, the
synchronous dispatcher (the method awaits nothing), no access log, the event loop the bench
names (`--loop`, as for the ceiling), and the JSON-schema validation of each request off, as
its docs offer (`validator=lambda _: None`): in process that check took 60 of the 78 µs a
dispatch cost here, so the peer is measured at its fastest, doing less than rpc-hub does.

    bench/.peers-venv/bin/python bench/peers/jsonrpcserver_app.py --port 8091
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import orjson
from aiohttp import web
from jsonrpcserver import Success, dispatch  # type: ignore[import-not-found, unused-ignore]


def add(a: int, b: int) -> Any:
    return Success(a + b)


METHODS = {"calc.add": add}


def _unchecked(request: object) -> object:
    return request


def _encode(response: object) -> str:
    # The dispatcher's serializer is typed as str-returning; aiohttp takes either.
    return orjson.dumps(response)  # type: ignore[return-value]


async def rpc(request: web.Request) -> web.Response:
    body = dispatch(
        await request.read(),
        methods=METHODS,
        deserializer=orjson.loads,
        validator=_unchecked,
        serializer=_encode,
    )
    if not body:
        return web.Response(status=204)
    return web.Response(body=body, content_type="application/json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="uvloop")
    args = parser.parse_args()
    if args.loop == "uvloop":
        import uvloop  # type: ignore[import-not-found, unused-ignore]

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    app = web.Application()
    app.router.add_post("/rpc", rpc)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
