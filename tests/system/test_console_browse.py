"""Finding and reading methods in the console, in a real headless Chromium: namespaces, the
filter and its keys, the empty state's example, string-or-id fields, and method docs rendered
from CommonMark with nothing in them ever becoming markup or script."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import aiohttp
from playwright.async_api import Page
from pydantic import Field

from app.plugins import Plugin
from app.rpc.namespace import Example, Method, Namespace
from app.server import create_app
from app.server.builtin import BUILTIN
from app.settings import Settings
from tests.helpers.browser import WAIT_MS, console, needs_chromium

PWNED = "document.title='pwned'"


async def served_document(origin: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.get(origin + "/openrpc.json") as response:
        document: dict[str, Any] = await response.json()
        return document


async def shown_methods(page: Page) -> list[str]:
    """The method names the list shows now, in order."""
    names: list[str] = await page.eval_on_selector_all(
        "#methods button",
        "(buttons) => buttons.filter((b) => b.offsetParent !== null).map((b) => b.dataset.method)",
    )
    return names


async def focused(page: Page) -> str:
    """The focused element, as `tag#id[name]`."""
    described: str = await page.evaluate(
        "() => { const e = document.activeElement;"
        " return `${e.tagName.toLowerCase()}#${e.id}[${e.getAttribute('name') || ''}]`; }"
    )
    return described


@needs_chromium
async def test_methods_come_grouped_by_namespace_with_their_summaries(
    aiohttp_server: Any, tmp_path: Path
) -> None:
    async with console(aiohttp_server, tmp_path) as tab:
        page = tab.page
        methods = (await served_document(tab.origin))["methods"]
        namespaces = list(dict.fromkeys(method["name"].split(".")[0] for method in methods))
        assert {"calc", "weather", "cart", "chat", "game", "tasks", "workers"} <= set(namespaces)
        groups = page.locator("#methods .namespace")
        assert await groups.evaluate_all("(gs) => gs.map((g) => g.dataset.namespace)") == namespaces
        for namespace in namespaces:
            group = page.locator(f"#methods .namespace[data-namespace='{namespace}']")
            names = await group.locator("button").evaluate_all(
                "(bs) => bs.map((b) => b.dataset.method)"
            )
            assert names == [m["name"] for m in methods if m["name"].startswith(namespace + ".")]
            heading = await group.locator("h3").text_content()
            assert heading == f"{namespace} {len(names)}"
        assert await shown_methods(page) == [method["name"] for method in methods]
        assert await page.text_content("#methods-count") == f"{len(methods)} methods"

        add = page.locator("[data-method='calc.add']")
        assert await add.locator(".name").text_content() == "calc.add"
        assert await add.locator(".summary").text_content() == "Add two numbers."
        # A summary's code spans are code in the list too, and it holds no link to misclick.
        subtract = page.locator("[data-method='calc.subtract'] .summary")
        assert await subtract.locator("code").all_text_contents() == ["subtrahend", "minuend"]
        assert await page.locator("#methods a").count() == 0
        tab.assert_clean()


@needs_chromium
async def test_the_filter_narrows_by_name_or_summary_and_answers_to_the_keyboard(
    aiohttp_server: Any, tmp_path: Path
) -> None:
    async with console(aiohttp_server, tmp_path) as tab:
        page = tab.page
        everything = await shown_methods(page)
        texts: dict[str, str] = dict(
            await page.eval_on_selector_all(
                "#methods button",
                "(bs) => bs.map((b) => [b.dataset.method,"
                " (b.querySelector('.name').textContent + ' '"
                " + b.querySelector('.summary').textContent).toLowerCase()])",
            )
        )

        # "/" from anywhere but a field puts the cursor in the filter.
        await page.click("h1")
        await page.keyboard.press("/")
        assert await focused(page) == "input#filter[]"

        # By summary: weather.current's says "city", its name does not; calc has none.
        await page.keyboard.type("City")
        shown = await shown_methods(page)
        assert shown == [name for name in everything if "city" in texts[name]]
        assert "weather.current" in shown and "calc.add" not in shown
        assert await page.is_hidden("#methods .namespace[data-namespace='calc']")
        count = await page.text_content("#methods-count")
        assert count == f"{len(shown)} of {len(everything)} methods"

        # Every word must match, in the name or the summary.
        await page.fill("#filter", "add  two")
        assert await shown_methods(page) == ["calc.add"]

        # Enter opens the first match, cursor in its first field.
        await page.fill("#filter", "divide")
        assert await shown_methods(page) == ["calc.divide"]
        await page.keyboard.press("Enter")
        assert await page.text_content("#method-name") == "calc.divide"
        assert await focused(page) == "input#param-dividend[dividend]"

        # No match says so; Esc clears the filter and every method is back.
        await page.fill("#filter", "no such thing")
        assert await shown_methods(page) == []
        assert await page.is_visible("#methods-none")
        assert "No method matches “no such thing”" in (
            await page.text_content("#methods-none") or ""
        )
        assert await page.text_content("#methods-count") == f"0 of {len(everything)} methods"
        await page.keyboard.press("Escape")
        assert await page.input_value("#filter") == ""
        assert await shown_methods(page) == everything
        assert await page.is_hidden("#methods-none")

        # Arrows walk the shown methods; Enter on one (a button) chooses it; up from the
        # first goes back to the filter.
        await page.keyboard.type("calc.")
        await page.keyboard.press("ArrowDown")
        assert await page.evaluate("document.activeElement.dataset.method") == "calc.add"
        await page.keyboard.press("ArrowDown")
        await page.keyboard.press("Enter")
        assert await page.text_content("#method-name") == "calc.subtract"
        selected = page.locator("#methods button[aria-current=true]")
        assert await selected.get_attribute("data-method") == "calc.subtract"
        await page.keyboard.press("ArrowUp")
        await page.keyboard.press("ArrowUp")
        assert await focused(page) == "input#filter[]"

        # Clearing by hand shows everything too.
        await page.fill("#filter", "")
        assert await shown_methods(page) == everything
        tab.assert_clean()


@needs_chromium
async def test_a_string_or_id_param_is_a_text_field_sent_as_what_it_reads(
    aiohttp_server: Any, tmp_path: Path
) -> None:
    async with console(aiohttp_server, tmp_path) as tab:
        page = tab.page
        await page.click("[data-method='weather.current']")
        city = page.locator("[name=city]")
        assert await city.evaluate("(e) => e.tagName") == "INPUT"  # not a raw-JSON box
        label = await page.text_content("label[for=param-city] .type") or ""
        assert label.startswith("string") and "| integer" in label

        async def call(text: str) -> tuple[str, str]:
            """What the form sends for city = `text`, and what comes back."""
            await city.fill(text)
            await page.click("#to-editor")
            sent = await page.input_value("#editor")
            count = await page.locator("#history li").count()
            await page.click("#call")
            await page.wait_for_selector(f"#history li:nth-child({count + 1})", timeout=WAIT_MS)
            return sent, await page.text_content("#response") or ""

        sent, answer = await call("Paris")
        assert '"city": "Paris"' in sent
        assert await page.text_content("#verdict") == "ok"
        assert '"name": "Paris"' in answer and '"id": 2988507' in answer

        sent, answer = await call("2988507")  # its GeoNames id: sent as an integer
        assert '"city": 2988507' in sent
        assert await page.text_content("#verdict") == "ok"
        assert '"name": "Paris"' in answer

        sent, answer = await call('"2988507"')  # quoted: the digits as a name
        assert '"city": "2988507"' in sent
        assert await page.text_content("#verdict") == "error"
        assert '"code": 2001' in answer  # no city is named that

        # calc.add's number fields still refuse text before sending.
        await page.click("[data-method='calc.add']")
        await page.fill("[name=a]", "Paris")
        await page.click("#call")
        assert await page.text_content("#form-problem") == "a must be a number"
        tab.assert_clean()


@needs_chromium
async def test_the_empty_state_says_what_to_do_and_tries_an_example(
    aiohttp_server: Any, tmp_path: Path
) -> None:
    async with console(aiohttp_server, tmp_path) as tab:
        page = tab.page
        methods = {m["name"]: m for m in (await served_document(tab.origin))["methods"]}
        example = methods["weather.current"]["examples"][0]
        assert await page.is_visible("#method-empty")
        assert await page.is_hidden("#method-body")
        intro = await page.text_content("#method-empty") or ""
        assert "Choose a method on the left" in intro and "Call" in intro
        assert "weather.current" in (await page.text_content("#try-example-note") or "")

        await page.click("#try-example")
        assert await page.is_hidden("#method-empty")
        assert await page.text_content("#method-name") == "weather.current"
        for param in example["params"]:
            if isinstance(param["value"], str):
                assert await page.input_value(f"[name={param['name']}]") == param["value"]
        assert await focused(page) == "button#call[]"  # ready to send

        await page.keyboard.press("Enter")
        await page.wait_for_selector("#history li", timeout=WAIT_MS)
        assert await page.text_content("#verdict") == "ok"
        answer = await page.text_content("#response") or ""
        assert f'"name": "{example["result"]["value"]["city"]["name"]}"' in answer
        tab.assert_clean()


async def label(
    name: str | int, note: str | None = None, size: Literal["s", "m"] | None = None
) -> dict[str, Any]:
    """Echo a label, saying which type its name arrived as."""
    return {"name": name, "type": type(name).__name__, "note": note, "size": size}


LABELS = Namespace(
    "labels",
    [
        Method(
            label,
            examples=[
                Example(
                    "digits as a name",
                    {"name": "42", "note": None, "size": None},
                    {"name": "42", "type": "str", "note": None, "size": None},
                )
            ],
        )
    ],
)


@needs_chromium
async def test_an_example_fills_every_field_and_null_leaves_one_blank(
    aiohttp_server: Any, tmp_path: Path
) -> None:
    async with console(aiohttp_server, tmp_path, create_app(Settings(), [Plugin([LABELS])])) as tab:
        page = tab.page
        # Without weather or calc, the empty state offers the first method with an example.
        assert "labels.label" in (await page.text_content("#try-example-note") or "")
        await page.click("[data-method='labels.label']")
        assert await page.input_value("[name=name]") == '"42"'  # quoted, so it stays text
        assert await page.input_value("[name=note]") == ""  # null: blank, not the text "null"
        assert await page.input_value("[name=size]") == ""
        await page.click("#call")
        await page.wait_for_selector("#history li", timeout=WAIT_MS)
        answer = await page.text_content("#response") or ""
        assert '"type": "str"' in answer and '"note": null' in answer

        # Filling the example again puts back what was changed, and only that.
        await page.fill("[name=name]", "42")
        await page.fill("[name=note]", "changed")
        await page.select_option("[name=size]", '"m"')
        await page.click("#example")
        assert await page.input_value("[name=note]") == ""
        assert await page.input_value("[name=size]") == ""
        await page.fill("[name=name]", "42")
        await page.click("#call")
        await page.wait_for_selector("#history li:nth-child(2)", timeout=WAIT_MS)
        answer = await page.text_content("#response") or ""
        assert '"name": 42' in answer and '"type": "int"' in answer
        tab.assert_clean()


async def docs_method(
    name: Annotated[
        str,
        Field(
            description=(
                "The `name` to greet; see <https://example.com/names>.\n\n"
                "<svg onload=\"document.title='pwned'\"></svg>"
            )
        ),
    ] = "world",
) -> str:
    """Show **bold**, *em* and `code`, then <img src=x onerror="document.title='pwned'">.

    A [safe link](https://example.com/docs "The docs"), [another method](#calc.add),
    a [script link](javascript:document.title='pwned'), a [data link](data:text/html,x),
    an <javascript:alert(1)> autolink and an image ![x](https://example.com/x.png).

    - first `item`
    - second, with <b>bold?</b>

    1. one
    2. two

    ```
    code <script>document.title='pwned'</script>
    ```
    """
    return f"hello {name}"


DOCS = Namespace("docs", [Method(docs_method, name="show")])


@needs_chromium
async def test_method_docs_render_as_markdown_and_html_in_them_stays_text(
    aiohttp_server: Any, tmp_path: Path
) -> None:
    app = create_app(Settings(), (BUILTIN, Plugin([DOCS])))
    async with console(aiohttp_server, tmp_path, app) as tab:
        page = tab.page
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: dialogs.append(dialog.message))
        title = await page.title()

        listed = page.locator("[data-method='docs.show'] .summary")
        assert await listed.locator("strong").text_content() == "bold"
        assert '<img src=x onerror="document.title=' in (await listed.text_content() or "")

        await page.click("[data-method='docs.show']")
        summary = page.locator("#method-summary")
        assert await summary.locator("strong").all_text_contents() == ["bold"]
        assert await summary.locator("em").all_text_contents() == ["em"]
        assert await summary.locator("code").all_text_contents() == ["code"]
        assert "<img src=x onerror=" in (await summary.text_content() or "")

        doc = page.locator("#method-description")
        safe = doc.locator("a[href='https://example.com/docs']")
        assert await safe.text_content() == "safe link"
        assert await safe.get_attribute("rel") == "noopener noreferrer"
        assert await safe.get_attribute("target") == "_blank"
        assert await safe.get_attribute("title") == "The docs"
        hrefs = await doc.locator("a").evaluate_all("(as) => as.map((a) => a.getAttribute('href'))")
        assert hrefs == ["https://example.com/docs", "#calc.add"]  # nothing else became a link
        text = await doc.text_content() or ""
        assert "[script link](javascript:document.title='pwned')" in text
        assert "[data link](data:text/html,x)" in text and "<javascript:alert(1)>" in text
        assert "![x](https://example.com/x.png)" in text
        assert await doc.locator("ul > li").all_text_contents() == [
            "first item",
            "second, with <b>bold?</b>",
        ]
        assert await doc.locator("ul > li code").all_text_contents() == ["item"]
        assert await doc.locator("ol > li").all_text_contents() == ["one", "two"]
        code = await doc.locator("pre > code").text_content()
        assert code == "code <script>document.title='pwned'</script>"

        param = page.locator(".field .param-doc")
        assert await param.locator("code").all_text_contents() == ["name"]
        assert await param.locator("a").get_attribute("href") == "https://example.com/names"
        assert "<svg onload=" in (await param.text_content() or "")

        # Nothing in the docs became an element it names, or ran.
        for tag in ("img", "svg", "b", "script:not([src])"):
            assert await page.locator(tag).count() == 0, tag
        assert await page.title() == title and dialogs == []
        assert not any(url.startswith(tab.origin + "/x") for url in tab.watched.requests)

        # A `#` link to a method opens it.
        await doc.locator("a[href='#calc.add']").click()
        await page.wait_for_selector("#method-name:text-is('calc.add')", timeout=WAIT_MS)
        tab.assert_clean()


MARKDOWN_CASES = [
    (
        "`a` **b** *c* __d__ _e_",
        "<p><code>a</code> <strong>b</strong> <em>c</em> <strong>d</strong> <em>e</em></p>",
    ),
    ("``Accept: text/event-stream``", "<p><code>Accept: text/event-stream</code></p>"),
    ("snake_case_name and 2 * 3 * 4", "<p>snake_case_name and 2 * 3 * 4</p>"),
    ("\\*not em\\* &amp; &lt;b&gt;", "<p>*not em* &amp; &lt;b&gt;</p>"),
    ("one\ntwo  \nthree", "<p>one\ntwo<br>three</p>"),
    ("first\n\nsecond", "<p>first</p><p>second</p>"),
    ("- a\n- `b`\n  more", "<ul><li>a</li><li><code>b</code>\nmore</li></ul>"),
    ("- a\n\n- b", "<ul><li><p>a</p></li><li><p>b</p></li></ul>"),
    ("- a\n  - b\n- c", "<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>"),
    ("3. x\n4. y", '<ol start="3"><li>x</li><li>y</li></ol>'),
    ("```py\n<b>x</b>\n```", '<pre><code data-language="py">&lt;b&gt;x&lt;/b&gt;</code></pre>'),
    ("    indented\n    code", "<pre><code>indented\ncode</code></pre>"),
    (
        '[a](https://e.example/p?q=1 "t")',
        '<p><a href="https://e.example/p?q=1" rel="noopener noreferrer" target="_blank" '
        'title="t">a</a></p>',
    ),
    (
        "[a](mailto:x@e.example) <y@e.example>",
        '<p><a href="mailto:x@e.example" rel="noopener noreferrer">a</a> '
        '<a href="mailto:y@e.example" rel="noopener noreferrer">y@e.example</a></p>',
    ),
    ("[a](#calc.add)", '<p><a href="#calc.add" rel="noopener noreferrer">a</a></p>'),
    ("[a](JaVaScRiPt:alert(1))", "<p>[a](JaVaScRiPt:alert(1))</p>"),
    ("[a](&#106;avascript:alert(1))", "<p>[a](&amp;#106;avascript:alert(1))</p>"),
    ("[a](//evil.example) [b](vbscript:x)", "<p>[a](//evil.example) [b](vbscript:x)</p>"),
    ("<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>"),
    ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
]


@needs_chromium
async def test_the_markdown_module_renders_commonmark_as_dom_nodes(
    aiohttp_server: Any, tmp_path: Path
) -> None:
    async with console(aiohttp_server, tmp_path) as tab:
        rendered: list[str] = await tab.page.evaluate(
            """async (cases) => {
              const { renderMarkdown } = await import("/static/markdown.js");
              return cases.map((text) => {
                const box = document.createElement("div");
                renderMarkdown(box, text);
                return box.innerHTML;
              });
            }""",
            [text for text, _ in MARKDOWN_CASES],
        )
        for (text, expected), got in zip(MARKDOWN_CASES, rendered, strict=True):
            assert got == expected, text
        tab.assert_clean()
