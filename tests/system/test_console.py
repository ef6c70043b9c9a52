"""The browser console at GET /: its files, and the page itself in a real headless Chromium."""

from __future__ import annotations

import enum
import re
from pathlib import Path
from typing import Annotated, Any

import pytest
from aiohttp import web
from pydantic import Field

from app.plugins import Plugin
from app.rpc.namespace import Example, Method, Namespace
from app.server import create_app
from app.server.builtin import BUILTIN
from app.settings import Settings
from app.transport.http import STATIC
from tests.helpers.browser import browser, console, needs_chromium, watched_page
from tests.helpers.probe import Probe
from tests.helpers.rpc import Client


async def test_the_page_is_served_with_a_strict_content_security_policy(client: Client) -> None:
    response = await client.get("/")
    assert response.status == 200
    assert response.content_type == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    assert "<title>rpc-hub console</title>" in await response.text()


async def test_every_file_the_page_loads_is_served_from_here(client: Client) -> None:
    html = (STATIC / "index.html").read_text()
    scripts = "\n".join(path.read_text() for path in STATIC.glob("*.js"))
    local = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', html))
    local |= {"/static/" + name for name in re.findall(r'from "\./([^"]+)"', scripts)}
    assert len(local) == 8  # the stylesheet, the entry script and the modules it imports
    for path in local:
        response = await client.get(path)
        assert response.status == 200, path
        assert response.content_type in ("text/css", "application/javascript", "text/javascript")
    for path in STATIC.iterdir():
        assert not re.search(r"(?:src|href|url)\s*[=(]\s*[\"']?(?:https?:)?//", path.read_text())


async def test_static_files_stay_inside_their_folder(client: Client) -> None:
    response = await client.get("/static/../settings.py")
    assert response.status in (403, 404)
    assert (await client.get("/static/nope.js")).status == 404


class Colour(enum.StrEnum):
    RED = "red"
    BLUE = "blue"


async def paint(
    wall: Annotated[str, Field(description="Which wall.", max_length=20)],
    coats: Annotated[int, Field(ge=1, le=5)] = 2,
    colour: Colour = Colour.RED,
    glossy: bool = False,
    note: str | None = None,
) -> dict[str, Any]:
    """Paint a wall."""
    return {"wall": wall, "coats": coats, "colour": colour, "glossy": glossy, "note": note}


PAINT = Namespace(
    "paint",
    [
        Method(
            paint,
            examples=[
                Example(
                    "north",
                    {"wall": "north"},
                    {"wall": "north", "coats": 2, "colour": "red", "glossy": False, "note": None},
                )
            ],
        )
    ],
)


@needs_chromium
async def test_console_calls_through_the_form_and_the_editor(
    aiohttp_server: Any, tmp_path: Path
) -> None:
    app = create_app(Settings(), (BUILTIN, Plugin([Probe().namespace])))
    async with console(aiohttp_server, tmp_path, app) as tab:
        page = tab.page
        listed = await page.locator("#methods button .name").all_text_contents()
        assert listed[:3] == ["calc.add", "calc.subtract", "calc.multiply"]
        assert "probe.echo" in listed and "rpc.discover" not in listed

        # The form: calc.add's two required numbers, prefilled from its example.
        await page.click("[data-method='calc.add']")
        assert await page.input_value("[name=a]") == "2"
        assert await page.get_attribute("[name=b]", "required") is not None
        await page.fill("[name=a]", "40")
        await page.fill("[name=b]", "2")
        await page.click("#call")
        await page.wait_for_selector("#history li")
        assert await page.text_content("#verdict") == "ok"
        assert '"result": 42' in (await page.text_content("#response") or "")
        assert re.fullmatch(r"\d+\.\d ms", await page.text_content("#latency") or "")

        # A bad value is caught before sending.
        await page.fill("[name=b]", "two")
        await page.click("#call")
        assert await page.text_content("#form-problem") == "b must be a number"

        # The editor: a batch, sent as typed, so 2^53 + 1 survives the round trip.
        await page.fill(
            "#editor",
            '[{"jsonrpc": "2.0", "method": "calc.sum", "params": [1, 2, 4], "id": 1},'
            ' {"jsonrpc": "2.0", "method": "calc.update", "params": [1]},'
            ' {"jsonrpc": "2.0", "method": "calc.divide", "params": [1, 0], "id": 2},'
            ' {"jsonrpc": "2.0", "method": "probe.echo", "params": [9007199254740993], "id": 3}]',
        )
        await page.click("#send")
        # A selector, not wait_for_function: under the page's CSP (no 'unsafe-eval') Playwright's
        # polled string predicate raises EvalError whenever it is not true on the first try.
        await page.wait_for_selector("#history li:nth-child(2)")
        assert await page.text_content("#verdict") == "2 ok, 1 error"
        rendered = await page.text_content("#response") or ""
        assert '"result": 7' in rendered
        assert '"code": 1001' in rendered and '"message": "Division by zero"' in rendered
        assert '"result": 9007199254740993' in rendered
        assert await page.locator("#response .j-num").count() >= 4  # highlighted, not plain
        await page.screenshot(path=tmp_path / "console.png", full_page=True)

        # The history, newest first; an entry brings back its request and response.
        entries = await page.locator("#history li .name").all_text_contents()
        assert entries == ["batch ×4", "calc.add"]
        await page.locator("#history li button").nth(1).click()
        assert '"result": 42' in (await page.text_content("#response") or "")
        assert '"method": "calc.add"' in await page.input_value("#editor")
        tab.assert_clean()
    assert (tmp_path / "console.png").stat().st_size > 10_000


@needs_chromium
async def test_history_survives_a_reload_but_card_data_never_reaches_storage(
    aiohttp_server: Any, tmp_path: Path
) -> None:
    card = "4000000000000002"
    checkout = (
        '{"jsonrpc": "2.0", "method": "cart.checkout", "id": 2, "params": {"cart_id": "none",'
        f' "payment": {{"card_number": "{card}", "exp_month": 12, "exp_year": 2030,'
        ' "cvc": "123"}, "idempotency_key": "k-1"}}'
    )
    async with console(aiohttp_server, tmp_path) as tab:
        page = tab.page
        await page.click("[data-method='cart.checkout']")
        assert "sensitive" in (await page.text_content("#method-badges") or "")
        for body in (
            '{"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": 1}',
            checkout,
        ):
            count = await page.locator("#history li").count()
            await page.fill("#editor", body)
            await page.click("#send")
            await page.wait_for_selector(f"#history li:nth-child({count + 1})")
        # In the open tab both are there; the checkout failed (no such cart) but carried the card.
        names = await page.locator("#history li .name").all_text_contents()
        assert names == ["cart.checkout", "calc.add"]

        await page.reload()
        await page.wait_for_selector("body[data-ready=true]")
        assert await page.locator("#history li .name").all_text_contents() == ["calc.add"]
        stored = await page.evaluate("localStorage.getItem('rpc-hub.history')")
        assert "calc.add" in stored and card not in stored and "cart.checkout" not in stored
        tab.assert_clean()


@needs_chromium
async def test_the_form_follows_the_param_schema(aiohttp_server: Any, tmp_path: Path) -> None:
    async with console(aiohttp_server, tmp_path, create_app(Settings(), [Plugin([PAINT])])) as tab:
        page = tab.page
        await page.click("[data-method='paint.paint']")
        assert await page.text_content("#method-summary") == "Paint a wall."
        labels = await page.locator("#fields label").all_text_contents()
        assert labels[:2] == ["wall*string, at most 20 characters", "coatsinteger, 1 to 5"]
        assert await page.get_attribute("[name=wall]", "maxlength") == "20"
        assert await page.get_attribute("[name=coats]", "placeholder") == "default: 2"
        options = await page.locator("[name=colour] option").all_text_contents()
        assert options == ["(not set)", "red", "blue"]
        assert await page.input_value("[name=colour]") == '"red"'  # its default
        assert await page.locator("[name=glossy] option").all_text_contents() == [
            "(not set)",
            "true",
            "false",
        ]
        assert "string | null" in labels[4]
        assert await page.input_value("[name=wall]") == "north"  # from the example

        await page.fill("[name=coats]", "3")
        await page.select_option("[name=colour]", '"blue"')
        await page.select_option("[name=glossy]", "true")
        await page.click("#call")
        await page.wait_for_selector("#history li")
        rendered = await page.text_content("#response") or ""
        for expected in ['"coats": 3', '"colour": "blue"', '"glossy": true', '"note": null']:
            assert expected in rendered
        await page.screenshot(path=tmp_path / "form.png")

        await page.fill("[name=wall]", "")
        await page.click("#call")
        assert await page.text_content("#form-problem") == "wall is required"
        tab.assert_clean()


CROSS_ORIGIN_PAGE = """<!doctype html>
<title>another site</title>
<link rel="icon" href="data:,">
<body>
<!-- Inside <body>: a refused fetch can reject before a script in <head> would have a body. -->
<script>
const rpc = new URLSearchParams(location.search).get("rpc");
fetch(rpc, {
  method: "POST",
  headers: {"Content-Type": "application/json"},
  body: JSON.stringify({jsonrpc: "2.0", method: "probe.count", id: 1}),
})
  .then((response) => response.json())
  .then((body) => { document.body.dataset.outcome = "result " + JSON.stringify(body.result); })
  .catch((error) => { document.body.dataset.outcome = "blocked " + error.name; });
</script>
</body>
"""


@needs_chromium
@pytest.mark.parametrize("allowed", [True, False], ids=["allowed", "not-allowed"])
async def test_another_origin_calls_rpc_only_when_allowed(
    aiohttp_server: Any, tmp_path: Path, allowed: bool
) -> None:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text=CROSS_ORIGIN_PAGE, content_type="text/html")

    site = web.Application()
    site.router.add_get("/", page)
    site_server = await aiohttp_server(site)
    site_origin = f"http://127.0.0.1:{site_server.port}"
    probe = Probe()
    origins = (site_origin,) if allowed else ("http://127.0.0.1:1",)
    rpc_server = await aiohttp_server(
        create_app(Settings(cors_origins=origins), (BUILTIN, Plugin([probe.namespace])))
    )
    rpc_url = f"http://127.0.0.1:{rpc_server.port}/rpc"
    assert site_origin != f"http://127.0.0.1:{rpc_server.port}"

    async with browser(tmp_path / "profile") as context:
        watched = await watched_page(context)
        await watched.page.goto(f"{site_origin}/?rpc={rpc_url}")
        handle = await watched.page.wait_for_selector("body[data-outcome]", state="attached")
        assert handle is not None
        outcome = await handle.get_attribute("data-outcome")

    if allowed:
        assert outcome == "result 1"
        assert probe.calls == 1
        assert watched.console_errors() == []
    else:
        assert outcome == "blocked TypeError"  # fetch rejects; the page never sees a response
        assert probe.calls == 0  # the preflight was refused, so the call never ran
        assert any("CORS policy" in text for text in watched.console_errors())
