"""The console's Status view in a real headless Chromium: charts drawn from GET /metrics, the
task queue, workers, and failed tasks with their Requeue button, under the page's strict CSP.

The screenshot in docs/operating.md comes from the last test here:
``RPC_STATUS_SCREENSHOT=docs/status-view.png .venv/bin/pytest tests/system/test_console_status.py``.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page

from app.server import create_app
from app.server.builtin import BUILTIN
from app.settings import Settings
from tests.helpers.browser import console, needs_chromium
from tests.helpers.keys import new_key
from tests.helpers.rpc import Client, post, result

WAIT_MS = 15_000
"""How long a step may take (a poll is every 2 s): a bound on a hang, never a pass condition."""
SCREENSHOT = os.environ.get("RPC_STATUS_SCREENSHOT")
MAX_BATCH = Settings().max_batch
LOAD = [(40, 2), (60, 4), (90, 3), (70, 12), (50, 20), (80, 6), (120, 4), (100, 2)]
LOAD += [(60, 1), (90, 8), (110, 3), (75, 2)]
"""Good and failing calls made between two samples, for the screenshot in docs/operating.md."""
HOSTILE = "<img src=x onerror=alert(1)>"

COLOURED_PIXELS = """(id) => {
  const canvas = document.getElementById(id);
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let coloured = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b, a] = data.slice(i, i + 4);
    if (a > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 80) coloured += 1;
  }
  return coloured;
}"""
"""Pixels of a chart's lines: saturated colour, where grid lines and labels are grey."""

COLOURED_IN_IMAGE = """async ([png, box]) => {
  const image = new Image();
  image.src = "data:image/png;base64," + png;
  await image.decode();
  const canvas = document.createElement("canvas");
  [canvas.width, canvas.height] = [image.width, image.height];
  const g = canvas.getContext("2d");
  g.drawImage(image, 0, 0);
  const data = g.getImageData(box.x, box.y, box.width, box.height).data;
  let coloured = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [r, gr, b] = data.slice(i, i + 3);
    if (Math.max(r, gr, b) - Math.min(r, gr, b) > 80) coloured += 1;
  }
  return coloured;
}"""
"""The same count, read off a screenshot (decoded by the page: its CSP allows data: images)."""


@dataclass
class Queue:
    """Tasks in every state the view shows, and the worker that ran them."""

    worker_id: str
    token: str
    failed: str
    dead: str
    running: str
    lease: str


async def fill_the_queue(client: Client, error: str = HOSTILE) -> Queue:
    """A worker that fails one task for good, spends another's only attempt, and runs a third;
    ``error`` is what it reports."""
    worker = await result(
        client, "workers.register", {"name": "resizer", "types": ["resize"], "capacity": 3}
    )
    worker_id, token = worker["worker_id"], worker["worker_token"]
    failed = await result(client, "tasks.submit", {"type": "resize", "payload": {"w": 1}})
    dead = await result(client, "tasks.submit", {"type": "resize", "max_attempts": 1})
    claim = {"worker_id": worker_id, "worker_token": token, "max_tasks": 2}
    leases = {t["task_id"]: t["lease_id"] for t in await result(client, "tasks.claim", claim)}
    for task_id, retryable in ((failed["task_id"], False), (dead["task_id"], True)):
        report = {"task_id": task_id, "lease_id": leases[task_id], "worker_token": token}
        await result(client, "tasks.fail", {**report, "error": error, "retryable": retryable})
    running = await result(client, "tasks.submit", {"type": "resize"})
    (claimed,) = await result(client, "tasks.claim", {**claim, "max_tasks": 1})
    assert claimed["task_id"] == running["task_id"]
    return Queue(
        worker_id,
        token,
        failed["task_id"],
        dead["task_id"],
        running["task_id"],
        claimed["lease_id"],
    )


async def traffic(client: Client, queue: Queue, adds: int, divides: int) -> None:
    """``adds`` good calls and ``divides`` failing ones, in batches; the worker stays alive."""
    running = [{"task_id": queue.running, "lease_id": queue.lease}]
    heartbeat = {"worker_id": queue.worker_id, "worker_token": queue.token, "running": running}
    await result(client, "workers.heartbeat", heartbeat)
    calls = [("calc.add", [i, 1]) for i in range(adds)]
    calls += [("calc.divide", [1, 0]) for _ in range(divides)]
    for start in range(0, len(calls), MAX_BATCH):
        batch = [
            {"jsonrpc": "2.0", "method": method, "params": params, "id": start + i}
            for i, (method, params) in enumerate(calls[start : start + MAX_BATCH])
        ]
        status, answers = await post(client, batch)
        assert status == 200 and len(answers) == len(batch)


async def show_status(page: Page) -> None:
    """Switch the open console to its Status view, and wait for its first sample."""
    await page.click("[data-view=status]")
    await page.wait_for_selector("#status-view[data-samples]", timeout=WAIT_MS)
    assert await page.is_hidden("#console-view")


async def coloured_in_screenshot(page: Page, png: bytes, selector: str) -> int:
    box = await page.locator(selector).bounding_box()
    assert box is not None
    area = {key: round(box[key]) for key in ("x", "y", "width", "height")}
    encoded = base64.b64encode(png).decode()
    coloured: int = await page.evaluate(COLOURED_IN_IMAGE, [encoded, area])
    return coloured


@needs_chromium
async def test_the_status_view_charts_calls_and_lists_failed_tasks(
    aiohttp_server: Any, aiohttp_client: Any, tmp_path: Path
) -> None:
    async with console(aiohttp_server, tmp_path) as tab:
        page = tab.page
        await show_status(page)
        client: Client = await aiohttp_client(tab.server)
        queue = await fill_the_queue(client)
        await traffic(client, queue, adds=30, divides=10)
        live = await client.ws_connect("/rpc")  # a WebSocket session for the view to count

        await page.wait_for_selector(
            "#status-calls-legend li[data-method='calc.add']", timeout=WAIT_MS
        )
        await page.wait_for_selector("#status-calls.drawn", timeout=WAIT_MS)
        await page.wait_for_selector("#status-errors.drawn.has-errors", timeout=WAIT_MS)
        await page.wait_for_selector("#status-sessions:text-is('1')", timeout=WAIT_MS)
        failed = page.locator(f"#status-failed tr[data-task-id='{queue.failed}']")
        await failed.locator("button", has_text="Requeue").wait_for(timeout=WAIT_MS)

        png = await page.screenshot(path=tmp_path / "status.png", full_page=True)
        assert await page.evaluate(COLOURED_PIXELS, "status-calls") > 100
        assert await page.evaluate(COLOURED_PIXELS, "status-errors") > 100
        assert await coloured_in_screenshot(page, png, "#status-calls") > 100
        assert await coloured_in_screenshot(page, png, "#status-errors") > 100
        legend = await page.locator("#status-calls-legend li").all_text_contents()
        assert any(item.startswith("calc.divide") for item in legend)

        # The failed and the dead task, their error shown as text, never as HTML.
        cells = await failed.locator("td").all_text_contents()
        assert cells[:6] == [queue.failed, "resize", "default", "failed", "failed", "1/3"]
        assert cells[6] == f'"{HOSTILE}"'
        dead = page.locator(f"#status-failed tr[data-task-id='{queue.dead}']")
        assert (await dead.locator("td").all_text_contents())[3] == "dead"
        assert await page.locator("#status-view img").count() == 0

        workers = await page.locator("#status-workers").text_content() or ""
        assert f"resizer ({queue.worker_id})" in workers and "online" in workers
        assert f"1/3: {queue.running}" in workers
        tasks = await page.locator("#status-tasks").text_content() or ""
        assert "oldest pending" in tasks and "failed" in tasks
        assert await page.text_content("#status-workers-online") == "1"

        # Requeue: the server decides. A task failed for good stays so; a dead one runs again.
        await failed.locator("button").click()
        refusal = page.locator("#status-requeue.bad", has_text="refused: 5006")
        await refusal.wait_for(timeout=WAIT_MS)
        await dead.locator("button").click()
        await page.locator(
            "#status-requeue.good", has_text=f"Requeued {queue.dead}: now pending"
        ).wait_for(timeout=WAIT_MS)
        await dead.wait_for(state="detached", timeout=WAIT_MS)

        await page.click("[data-view=console]")
        await page.wait_for_selector("#console-view:not([hidden])")
        assert await page.is_hidden("#status-view")
        await live.close()
        tab.assert_clean()
        assert tab.origin + "/metrics" in tab.watched.requests
    assert len(png) > 10_000


@needs_chromium
async def test_the_status_view_says_what_was_refused_and_sends_the_key(
    aiohttp_server: Any, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    key = new_key(keys, "ops", "metrics", "tasks:submit", "tasks:work")
    app = create_app(Settings(keys_file=str(keys), anonymous_scopes=("calc",)), [BUILTIN])
    async with console(aiohttp_server, tmp_path, app, path="/#status") as tab:
        page, watched = tab.page, tab.watched
        problem = page.locator("#status-problem", has_text="GET /metrics: 403")
        await problem.wait_for(timeout=WAIT_MS)
        text = await problem.text_content() or ""
        assert text.startswith("GET /metrics: 403 ") and "needs the metrics scope" in text
        assert (
            "workers.list: -32001 Unauthorized" in text and '"required_scope":"tasks:work"' in text
        )

        await page.fill("#token", key)
        await page.wait_for_selector("#status-problem:empty", timeout=WAIT_MS, state="attached")
        await page.wait_for_selector("#status-view[data-samples='1']", timeout=WAIT_MS)
        assert watched.errors == []
        # Chromium logs each refused fetch itself; nothing else may complain.
        assert all("403" in text for text in watched.console_errors())


@needs_chromium
@pytest.mark.skipif(
    not SCREENSHOT,
    reason="writes docs/operating.md's screenshot: set RPC_STATUS_SCREENSHOT=docs/status-view.png",
)
async def test_the_readme_screenshot(
    aiohttp_server: Any, aiohttp_client: Any, tmp_path: Path
) -> None:
    assert SCREENSHOT is not None
    async with console(aiohttp_server, tmp_path) as tab:
        page = tab.page
        await show_status(page)
        client: Client = await aiohttp_client(tab.server)
        queue = await fill_the_queue(client, "image too large: 12000 × 9000 px")
        live = [await client.ws_connect("/rpc") for _ in range(3)]
        # A dozen samples of changing load, each batch landing between two polls.
        for sample, (adds, divides) in enumerate(LOAD, start=1):
            await page.wait_for_selector(f"#status-view[data-samples='{sample}']", timeout=WAIT_MS)
            await traffic(client, queue, adds, divides)
        await page.wait_for_selector(
            f"#status-view[data-samples='{len(LOAD) + 1}']", timeout=WAIT_MS
        )
        path = Path(SCREENSHOT)
        png = await page.screenshot(path=path, full_page=True)
        assert await coloured_in_screenshot(page, png, "#status-calls") > 100
        for socket in live:
            await socket.close()
        tab.assert_clean()
    assert 10_000 < len(png) < 200_000  # small enough to commit
