"""A real headless Chromium (Debian's ``chromium``) driven by Playwright, for browser tests.

Playwright cannot download its own browser here, so it drives the system one. Tests that
use it skip, saying why, where that browser is not installed; ``.ci/run`` installs it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, ConsoleMessage, Page, async_playwright

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


async def watched_page(context: BrowserContext) -> Watched:
    page = context.pages[0] if context.pages else await context.new_page()
    watched = Watched(page)
    page.on("request", lambda request: watched.requests.append(request.url))
    page.on("console", lambda message: watched.console.append(message))
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    return watched
