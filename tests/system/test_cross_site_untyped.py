"""In real Chromium: a foreign page can POST a body with no Content-Type (a `no-cors` fetch of
an ArrayBuffer or an untyped Blob), which the server reads as JSON, but the browser always
sends the page's Origin with it, so the server refuses it unless that Origin is allowed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from app.plugins import Plugin
from app.server import create_app
from app.server.builtin import BUILTIN
from app.settings import Settings
from tests.helpers.browser import browser, needs_chromium, watched_page
from tests.helpers.probe import Probe

SEND = """async (url) => {
  const call = JSON.stringify({jsonrpc: "2.0", method: "probe.count", id: 1});
  const bodies = [new Blob([call]), new TextEncoder().encode(call).buffer];
  for (const body of bodies) await fetch(url, {method: "POST", mode: "no-cors", body});
}"""


async def foreign_site(aiohttp_server: Any) -> str:
    """Another origin (another port): a page that only wants to reach the RPC server."""

    async def page(request: web.Request) -> web.Response:
        return web.Response(
            text="<!doctype html><title>elsewhere</title>", content_type="text/html"
        )

    site = web.Application()
    site.router.add_get("/", page)
    server = await aiohttp_server(site)
    return f"http://127.0.0.1:{server.port}"


@needs_chromium
async def test_a_foreign_pages_untyped_post_is_refused_unless_its_origin_is_allowed(
    aiohttp_server: Any, tmp_path: Path
) -> None:
    site = await foreign_site(aiohttp_server)
    refused, allowed = Probe(), Probe()
    rpc: dict[str, str] = {}
    received: list[tuple[str | None, str | None, int]] = []

    async def note(request: web.Request, response: web.StreamResponse) -> None:
        headers = request.headers
        received.append((headers.get("Content-Type"), headers.get("Origin"), response.status))

    for name, probe, origins in (("refused", refused, ()), ("allowed", allowed, (site,))):
        app = create_app(Settings(cors_origins=origins), (BUILTIN, Plugin([probe.namespace])))
        app.on_response_prepare.append(note)  # what reached the server, as it arrived
        server = await aiohttp_server(app)
        rpc[name] = f"http://127.0.0.1:{server.port}/rpc"
    async with browser(tmp_path / "profile") as context:
        watched = await watched_page(context)
        await watched.page.goto(f"{site}/")
        await watched.page.evaluate(SEND, rpc["refused"])
        await watched.page.evaluate(SEND, rpc["allowed"])
    # What makes the rule safe: no type, but always the Origin.
    assert received == [(None, site, 403)] * 2 + [(None, site, 200)] * 2
    assert refused.calls == 0
    assert allowed.calls == 2  # read as JSON, so the check above is what kept the other out
