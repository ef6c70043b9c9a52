"""Calling methods from the console's form, in a real headless Chromium: params by name or by
position with blank optional fields, deprecated methods and their replacements, and methods
with several examples to fill from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.async_api import Page, Request, Route
from pydantic import Field

from app.plugins import Plugin
from app.rpc.namespace import Method, Namespace
from app.server import create_app
from app.server.builtin import BUILTIN
from app.settings import Settings
from tests.helpers.browser import WAIT_MS, console, needs_chromium


async def spread(a: int, b: int = 2, c: int = 3) -> dict[str, int]:
    """Echo three numbers, the last two optional."""
    return {"a": a, "b": b, "c": c}


class Gapped:
    """A namespace whose middle param is optional but has no default a schema can show."""

    def __init__(self) -> None:
        self.calls: list[dict[str, int]] = []

        async def gapped(
            a: int, b: int = Field(default_factory=lambda: 2), c: int = 3
        ) -> dict[str, int]:
            """Echo three numbers; `b` is made when left out."""
            self.calls.append({"a": a, "b": b, "c": c})
            return {"a": a, "b": b, "c": c}

        self.namespace = Namespace("pos", [Method(spread, name="padded"), gapped])


class Watch:
    """What the page POSTs to /rpc, in the order it asked."""

    def __init__(self, page: Page, origin: str) -> None:
        self.bodies: list[Any] = []
        page.on("request", self._seen)
        self.url = origin + "/rpc"

    def _seen(self, request: Request) -> None:
        if request.url == self.url and request.method == "POST":
            self.bodies.append(json.loads(request.post_data or "null"))

    def calls(self, method: str) -> list[Any]:
        return [body["params"] for body in self.bodies if body.get("method") == method]


async def call(page: Page) -> str:
    """Press Call and wait for its answer; the response as shown."""
    count = await page.locator("#history li").count()
    await page.click("#call")
    await page.wait_for_selector(f"#history li:nth-child({count + 1})", timeout=WAIT_MS)
    return await page.text_content("#response") or ""


async def preview(page: Page) -> Any:
    """The params the form makes, as Copy to editor shows them."""
    await page.click("#to-editor")
    return json.loads(await page.input_value("#editor"))["params"]


@needs_chromium
async def test_a_method_taking_names_gets_only_the_fields_filled(
    aiohttp_server: Any, tmp_path: Path
) -> None:
    plugin = Plugin([Namespace("named", [Method(spread)])])
    async with console(aiohttp_server, tmp_path, create_app(Settings(), (BUILTIN, plugin))) as tab:
        page = tab.page
        sent = Watch(page, tab.origin)

        # weather.get_temperature(city, country=None, units="C"): country blank, units F.
        await page.click("[data-method='weather.get_temperature']")
        await page.fill("[name=city]", "Paris")
        await page.fill("[name=country]", "")
        await page.select_option("[name=units]", '"F"')
        assert await preview(page) == {"city": "Paris", "units": "F"}
        answer = await call(page)
        assert sent.calls("weather.get_temperature") == [{"city": "Paris", "units": "F"}]
        assert await page.text_content("#verdict") == "ok"
        assert '"units": "F"' in answer and '"country": "FR"' in answer

        # A plugin's f(a, b=2, c=3) with b blank: c goes to c, b is the server's default.
        await page.click("[data-method='named.spread']")
        await page.fill("[name=a]", "1")
        await page.fill("[name=c]", "9")
        assert await preview(page) == {"a": 1, "c": 9}
        answer = await call(page)
        assert sent.calls("named.spread") == [{"a": 1, "c": 9}]
        assert '"a": 1' in answer and '"b": 2' in answer and '"c": 9' in answer

        # calc.sum(*numbers) is described by name, its one param an array.
        await page.click("[data-method='calc.sum']")
        assert await page.input_value("[name=numbers]") == "[1,2,4]"
        await page.fill("[name=numbers]", "[1, 2, 4, 8]")
        assert await preview(page) == {"numbers": [1, 2, 4, 8]}
        assert '"result": 15' in await call(page)
        tab.assert_clean()


async def by_position(page: Page, origin: str) -> None:
    """Tell the console, before it loads, that the `pos` methods take params only by position.

    The engine describes every method as `either` or `by-name` (it has no positional-only
    params), so the page's copy of the real document is edited on its way in; the methods do
    take arrays, and every call still goes to the real server.
    """

    async def edited(route: Route) -> None:
        if "rpc.discover" not in (route.request.post_data or ""):
            await route.continue_()
            return
        response = await route.fetch()
        document = await response.json()
        for method in document["result"]["methods"]:
            if method["name"].startswith("pos."):
                assert method["paramStructure"] == "either"
                method["paramStructure"] = "by-position"
        await route.fulfill(response=response, json=document)

    await page.route(origin + "/rpc", edited)


@needs_chromium
async def test_by_position_a_blank_optional_goes_as_its_default_or_stops_the_call(
    aiohttp_server: Any, tmp_path: Path
) -> None:
    gapped = Gapped()
    app = create_app(Settings(), [Plugin([gapped.namespace])])
    async with console(aiohttp_server, tmp_path, app, before=by_position) as tab:
        page = tab.page
        sent = Watch(page, tab.origin)

        # b blank before a filled c: sent as b's schema default, so c stays third.
        await page.click("[data-method='pos.padded']")
        assert "params by-position" in (await page.text_content("#method-badges") or "")
        await page.fill("[name=a]", "1")
        await page.fill("[name=c]", "9")
        assert await preview(page) == [1, 2, 9]
        answer = await call(page)
        assert '"b": 2' in answer and '"c": 9' in answer
        # Blanks after the last filled field are left off.
        await page.fill("[name=b]", "5")
        await page.fill("[name=c]", "")
        assert await preview(page) == [1, 5]
        assert '"c": 3' in await call(page)
        assert sent.calls("pos.padded") == [[1, 2, 9], [1, 5]]

        # b blank with no default to stand in for it: the form says so and sends nothing.
        await page.click("[data-method='pos.gapped']")
        await page.fill("[name=a]", "1")
        await page.fill("[name=c]", "9")
        problem = (
            "b needs a value: c after it is filled, and this method takes params only by "
            "position (b has no default to send in its place)"
        )
        await page.click("#call")
        assert await page.text_content("#form-problem") == problem
        await page.fill("#editor", "")
        await page.click("#to-editor")
        assert await page.text_content("#form-problem") == problem
        assert await page.input_value("#editor") == ""
        # Once b is filled the call goes: the only call the server saw is that one.
        await page.fill("[name=b]", "4")
        assert '"b": 4' in await call(page)
        await page.fill("[name=b]", "")
        await page.fill("[name=c]", "")
        assert await preview(page) == [1]
        assert '"b": 2' in await call(page)  # made by the server, as b was left out
        assert sent.calls("pos.gapped") == [[1, 4, 9], [1]]
        assert gapped.calls == [{"a": 1, "b": 4, "c": 9}, {"a": 1, "b": 2, "c": 3}]
        tab.assert_clean()


async def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


LEGACY = Namespace(
    "legacy",
    [
        add,
        Method(add, name="plus", deprecated=True, replaced_by="legacy.add"),
        Method(add, name="sum_two", deprecated=True),
    ],
)


@needs_chromium
async def test_a_deprecated_method_says_so_and_links_to_its_replacement(
    aiohttp_server: Any, tmp_path: Path
) -> None:
    async with console(aiohttp_server, tmp_path, create_app(Settings(), [Plugin([LEGACY])])) as tab:
        page = tab.page

        # In the list: struck through, tagged, and found by the word.
        plus = page.locator("[data-method='legacy.plus']")
        assert await plus.get_attribute("class") == "deprecated"
        assert await plus.locator(".name s").text_content() == "legacy.plus"
        assert await plus.locator(".tag").text_content() == "deprecated"
        assert await plus.get_attribute("title") == "Deprecated: use legacy.add instead"
        assert await page.locator("[data-method='legacy.add'] .tag").count() == 0
        await page.fill("#filter", "deprecated")
        assert await page.text_content("#methods-count") == "2 of 3 methods"
        await page.fill("#filter", "")

        # In its docs: the badge, and a link that opens the method to use instead.
        await plus.click()
        assert "deprecated" in (await page.text_content("#method-badges") or "")
        notice = page.locator("#method-deprecated")
        assert await notice.is_visible()
        assert await notice.text_content() == "Deprecated: use legacy.add instead."
        link = notice.locator("a")
        assert await link.text_content() == "use legacy.add instead"
        assert await link.get_attribute("href") == "#legacy.add"
        await link.click()
        await page.wait_for_selector("#method-name:text-is('legacy.add')", timeout=WAIT_MS)
        assert await notice.is_hidden()
        assert page.url.endswith("#legacy.add")

        # Back to it from the list, the address unchanged: the link still opens legacy.add.
        await plus.click()
        assert await page.text_content("#method-name") == "legacy.plus"
        await link.click()
        await page.wait_for_selector("#method-name:text-is('legacy.add')", timeout=WAIT_MS)

        # Deprecated with nothing named to use instead: said, with no link.
        await page.click("[data-method='legacy.sum_two']")
        assert await notice.text_content() == "Deprecated: it may go away in a later version."
        assert await notice.locator("a").count() == 0
        # Still callable; with no example, there is nothing to fill or choose.
        assert await page.is_disabled("#example")
        assert await page.is_hidden("#example-choice")
        await page.fill("[name=a]", "1")
        await page.fill("[name=b]", "2")
        assert '"result": 3' in await call(page)
        tab.assert_clean()


@needs_chromium
async def test_a_method_with_several_examples_fills_the_one_chosen(
    aiohttp_server: Any, tmp_path: Path
) -> None:
    async with console(aiohttp_server, tmp_path) as tab:
        page = tab.page
        await page.click("[data-method='weather.get_temperature']")
        choice = page.locator("#example-choice")
        assert await choice.is_visible()
        names = await choice.locator("option").all_text_contents()
        assert names == ["Paris, in Fahrenheit", "the other Paris"]
        summary = "An ambiguous name means its most populous city."
        assert await choice.locator("option").first.get_attribute("title") == summary
        # The first is filled to begin with, and its summary shown.
        assert await page.input_value("[name=units]") == '"F"'
        assert await page.input_value("[name=country]") == ""
        assert await page.text_content("#example-summary") == summary

        # Choosing the second fills its values, everything else back to its start.
        await choice.select_option(label="the other Paris")
        assert await page.input_value("[name=city]") == "Paris"
        assert await page.input_value("[name=country]") == "US"
        assert await page.input_value("[name=units]") == '"C"'
        assert await page.is_hidden("#example-summary")  # this one has none
        answer = await call(page)
        assert '"country": "US"' in answer and '"id": 4717560' in answer

        # Fill example puts back the chosen one.
        await page.fill("[name=country]", "FR")
        await page.click("#example")
        assert await page.input_value("[name=country]") == "US"

        # Another method starts from its own first example; one example needs no chooser.
        await page.click("[data-method='calc.divide']")
        assert await choice.input_value() == "0"
        assert await page.input_value("[name=dividend]") == "10"
        await choice.select_option(label="inexact")
        assert await page.input_value("[name=dividend]") == "7"
        assert await page.input_value("[name=divisor]") == "2"
        await page.click("[data-method='calc.add']")
        assert await choice.is_hidden()
        assert await page.is_enabled("#example")
        tab.assert_clean()
