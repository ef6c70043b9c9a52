"""DNS rebinding in real Chromium: a made-up domain that resolves to 127.0.0.1 gets nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.plugins import Plugin
from app.server import create_app
from app.server.builtin import BUILTIN
from app.settings import Settings
from tests.helpers.browser import browser, needs_chromium, watched_page
from tests.helpers.probe import Probe

CALL = """async () => {
  const response = await fetch("/rpc", {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({jsonrpc: "2.0", method: "probe.count", id: 1}),
  });
  return [response.status, await response.json()];
}"""


@needs_chromium
async def test_a_rebound_domain_gets_neither_the_console_nor_rpc(
    aiohttp_server: Any, tmp_path: Path
) -> None:
    probe = Probe()
    server = await aiohttp_server(create_app(Settings(), (BUILTIN, Plugin([probe.namespace]))))
    rule = "--host-resolver-rules=MAP rebind.test 127.0.0.1"
    async with browser(tmp_path / "profile", rule) as context:
        watched = await watched_page(context)
        response = await watched.page.goto(f"http://rebind.test:{server.port}/")
        assert response is not None and response.status == 403
        # The attacker's page is same-origin with rebind.test, so CORS would let it read
        # answers; the Host check is what refuses it.
        status, body = await watched.page.evaluate(CALL)
        assert status == 403
        assert body["error"]["data"] == {"host": f"rebind.test:{server.port}"}
        assert probe.calls == 0

        # The server's own names still work, console and calls alike.
        response = await watched.page.goto(f"http://localhost:{server.port}/")
        assert response is not None and response.status == 200
        status, body = await watched.page.evaluate(CALL)
        assert (status, body["result"]) == (200, 1)
