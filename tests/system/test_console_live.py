"""The console's live views in a real headless Chromium: the events panel and a chat room,
each over one WebSocket to the page's own origin, under the page's strict CSP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
from playwright.async_api import Page

from tests.helpers.browser import WAIT_MS, assert_clean, console, needs_chromium


@needs_chromium
async def test_the_events_panel_shows_a_task_submitted_elsewhere(
    aiohttp_server: Any, tmp_path: Path
) -> None:
    async with console(aiohttp_server, tmp_path) as tab:
        page, origin = tab.page, tab.origin
        sockets: list[str] = []
        page.on("websocket", lambda ws: sockets.append(ws.url))
        await page.click("[data-method='calc.add']")
        assert await page.is_hidden("#subscribe")  # only *.subscribe methods subscribe
        await page.click("[data-method='tasks.subscribe']")
        await page.fill("[name=task_id]", "")  # all of this caller's tasks, not the example's
        await page.click("#subscribe")
        row = await page.wait_for_selector("#subscriptions li[data-subscription]", timeout=WAIT_MS)
        assert row is not None
        subscription = await row.get_attribute("data-subscription")
        assert subscription is not None and subscription.startswith("0x")

        async with aiohttp.ClientSession() as http:
            params = {"type": "echo", "payload": "<img src=x>"}
            body = {"jsonrpc": "2.0", "method": "tasks.submit", "params": params, "id": 1}
            async with http.post(origin + "/rpc", json=body) as response:
                task_id = (await response.json())["result"]["task_id"]
        event = page.locator("#events li", has_text=task_id).first
        await event.wait_for(timeout=WAIT_MS)
        assert '"state": "pending"' in (await event.text_content() or "")
        assert await page.locator("#events img").count() == 0  # shown as text, never as HTML

        await page.click("#subscriptions li[data-subscription] button")
        await page.wait_for_selector("#subscriptions li.ended", timeout=WAIT_MS)
        assert await page.text_content("#subscriptions li.ended .dim") == "unsubscribed"
        assert sockets == [origin.replace("http:", "ws:") + "/rpc"]  # one socket, same origin
        tab.assert_clean()


async def join(page: Page, room: str, name: str) -> None:
    await page.fill("#chat-room", room)
    await page.fill("#chat-name", name)
    await page.click("#chat-join")
    await page.wait_for_selector("#chat[data-joined=true]", timeout=WAIT_MS)


@needs_chromium
async def test_two_pages_in_a_chat_room_hear_each_other(
    aiohttp_server: Any, tmp_path: Path
) -> None:
    async with console(aiohttp_server, tmp_path) as tab:
        ann = tab.watched
        bob = await tab.another_page()
        await join(ann.page, "lobby", "ann")
        await join(bob.page, "lobby", "bob")
        messages = ann.page.locator("#chat-messages li")
        await messages.filter(has_text="bob joined").wait_for(timeout=WAIT_MS)

        await bob.page.fill("#chat-text", "hello <b>ann</b>")
        await bob.page.click("#chat-send")
        said = messages.filter(has_text="hello <b>ann</b>")
        await said.wait_for(timeout=WAIT_MS)
        assert await said.text_content() == "bob: hello <b>ann</b>"
        assert await ann.page.locator("#chat-messages b").count() == 0
        assert await bob.page.input_value("#chat-text") == ""  # sent, so cleared

        await bob.page.click("#chat-leave")
        await bob.page.wait_for_selector("#chat[data-joined=false]", timeout=WAIT_MS)
        await messages.filter(has_text="bob left (left)").wait_for(timeout=WAIT_MS)
        for watched in (ann, bob):
            assert_clean(watched, tab.origin)
