"""A real headless Chromium (Debian's ``chromium``) driven by Playwright, for browser tests,
and the console opened in it on a test server.

Playwright cannot download its own browser here, so it drives the system one. Tests that
use it skip, saying why, where that browser is not installed; ``.ci/run`` installs it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import BrowserContext, ConsoleMessage, Page, async_playwright
from pytest_aiohttp import AiohttpServer

from app.server import create_app
from app.server.builtin import BUILTIN
from app.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium calls home, and this machine's closed network refuses it.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

WAIT_MS = 10_000
"""How long a step may take: a bound on a hang, never a pass condition."""

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"no Chromium at {CHROMIUM}: install Debian's (apt-get install chromium), "
    "as .ci/run does",
)


@dataclass
class Watched:
    """A page, with everything it asked for and complained about."""

    page: Page
    requests: list[str] = field(default_factory=list)
    console: list[ConsoleMessage] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def console_errors(self) -> list[str]:
        return [message.text for message in self.console if message.type == "error"]


@asynccontextmanager
async def browser(profile: Path, *flags: str) -> AsyncIterator[BrowserContext]:
    """A fresh headless Chromium with its own empty profile in ``profile``, plus ``flags``."""
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=[*FLAGS, *flags],
            viewport={"width": 1400, "height": 900},
        )
        try:
            yield context
        finally:
            await context.close()


def watch(page: Page) -> Watched:
    """``page``, recording from now on what it asks for and complains about."""
    watched = Watched(page)
    page.on("request", lambda request: watched.requests.append(request.url))
    page.on("console", lambda message: watched.console.append(message))
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    return watched


async def watched_page(context: BrowserContext) -> Watched:
    """The context's first page (a new one if it has none), watched."""
    return watch(context.pages[0] if context.pages else await context.new_page())


async def load_console(watched: Watched, url: str) -> Watched:
    """``watched`` on the console at ``url``, once its script says it is ready."""
    await watched.page.goto(url)
    await watched.page.wait_for_selector("body[data-ready=true]")
    return watched


def assert_clean(watched: Watched, origin: str) -> None:
    """No script errors (a socket the CSP refused would be one), and nothing was asked of any
    other origin (no CDN, no internet)."""
    assert watched.errors == []
    assert watched.console_errors() == []
    assert watched.requests
    assert all(url.startswith(origin + "/") for url in watched.requests), watched.requests


@dataclass
class Console:
    """The console open in a fresh browser, on a test server's app."""

    watched: Watched
    origin: str
    server: TestServer
    context: BrowserContext

    @property
    def page(self) -> Page:
        return self.watched.page

    async def another_page(self, path: str = "/") -> Watched:
        """A second page in the same browser, watched, on the console at ``path``."""
        return await load_console(watch(await self.context.new_page()), self.origin + path)

    def assert_clean(self) -> None:
        """The first page stayed clean: see `assert_clean`."""
        assert_clean(self.watched, self.origin)


@asynccontextmanager
async def console(
    aiohttp_server: AiohttpServer,
    tmp_path: Path,
    app: web.Application | None = None,
    path: str = "/",
    before: Callable[[Page, str], Awaitable[None]] | None = None,
) -> AsyncIterator[Console]:
    """Serve ``app`` (every built-in namespace by default) and open its console at ``path`` in
    a fresh browser; ``before(page, origin)`` runs first, to route or watch what it loads."""
    server = await aiohttp_server(app if app is not None else create_app(Settings(), [BUILTIN]))
    origin = f"http://127.0.0.1:{server.port}"
    async with browser(tmp_path / "profile") as context:
        watched = await watched_page(context)
        if before is not None:
            await before(watched.page, origin)
        yield Console(await load_console(watched, origin + path), origin, server, context)
