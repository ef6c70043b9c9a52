"""Every text in the OpenRPC document is CommonMark, as OpenRPC says descriptions are:
no reStructuredText from docstrings, and nothing a Markdown renderer would swallow."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from markdown_it import MarkdownIt

from app.server import build_api
from app.settings import Settings

TEXT_KEYS = frozenset({"summary", "description"})
REST = {
    "a ``literal`` (CommonMark: `code`)": re.compile(r"``"),
    "a role such as :class:`X`": re.compile(r":[a-z]+(?::[a-z]+)*:`"),
    "a hyperlink reference `text`_": re.compile(r"`[^`]+`__?(?!\w)"),
    "a directive such as .. note::": re.compile(r"(?m)^\s*\.\. \S"),
    "a literal block marker ::": re.compile(r"(?m)::[ \t]*$"),
    "a field such as :param x:": re.compile(r"(?m)^\s*:(?:param|type|returns?|rtype|raises?)\b"),
}
SETTINGS = {
    "the built-in namespaces": Settings(),
    "with the guide's plugin": Settings(plugins=["examples.notes.plugin:plugin"]),
}


def texts(value: Any, place: str = "") -> Iterator[tuple[str, str]]:
    """(place, text) for each summary and description anywhere in `value`, named by path,
    with list items named by their `name` where they have one (methods, params)."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{place}.{key}" if place else str(key)
            if key in TEXT_KEYS and isinstance(item, str):
                yield where, item
            else:
                yield from texts(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            name = item.get("name") if isinstance(item, dict) else None
            yield from texts(item, f"{place}[{name if isinstance(name, str) else index}]")


def rest_in(text: str) -> list[str]:
    return [construct for construct, pattern in REST.items() if pattern.search(text)]


@pytest.mark.parametrize("settings", SETTINGS.values(), ids=SETTINGS.keys())
def test_no_restructuredtext_anywhere_in_the_document(settings: Settings) -> None:
    _, document = build_api(settings)
    found = list(texts(document))
    assert len(found) > 100  # the walk reaches methods, params and component schemas
    problems = [
        f"{place}: {', '.join(constructs)} in {text!r}"
        for place, text in found
        if (constructs := rest_in(text))
    ]
    assert not problems, "reStructuredText in the OpenRPC document:\n" + "\n".join(problems)


def html_in(text: str) -> list[str]:
    """The raw HTML CommonMark sees in `text`."""
    tokens = MarkdownIt("commonmark").parse(text)
    inline = [child for token in tokens for child in token.children or []]
    return [token.content for token in [*tokens, *inline] if token.type.startswith("html")]


def test_method_texts_have_no_html_that_a_renderer_would_drop() -> None:
    """`Bearer <key>` outside a code span is an HTML tag to CommonMark, and vanishes."""
    _, document = build_api(Settings())
    problems = [
        f"{place}: {html} in {text!r}"
        for place, text in texts(document["methods"], "methods")
        if (html := html_in(text))
    ]
    assert not problems, "\n".join(problems)
    assert html_in("send Authorization: Bearer <key>") == ["<key>"]
    assert html_in("send `Authorization: Bearer <key>`") == []


@pytest.mark.parametrize(
    "text",
    [
        "Subtract ``subtrahend`` from ``minuend``.",
        "Returns a :class:`Cart`.",
        "Answers :py:meth:`Store.get`.",
        "See `the spec`_ for more.",
        "See `the spec <https://www.jsonrpc.org>`__.",
        "First.\n\n.. note:: this is a directive",
        "For example::\n\n    rpc-hub call calc.add 1 2",
        "Adds.\n\n:param a: the first",
    ],
)
def test_the_check_finds_restructuredtext(text: str) -> None:
    assert rest_in(text)


@pytest.mark.parametrize(
    "text",
    [
        "Subtract `subtrahend` from `minuend`.",
        "Scope `game:admin`; resume with `since: {epoch, offset}`.",
        "A ratio 1:2, a time 09:00, a name snake_case_, and `[1, 2, 4]` gives 7.",
        "For example:\n\n    rpc-hub call calc.add 1 2",
        "Bring a `dead` task back to `pending`.",
    ],
)
def test_the_check_passes_commonmark(text: str) -> None:
    assert rest_in(text) == []
