"""The rules by which docs' shell examples are read and checked (tests/helpers/snippets.py)."""

from __future__ import annotations

import pytest

from tests.helpers.snippets import (
    Shown,
    SnippetError,
    check,
    compile_pattern,
    matches,
    parse_page,
    parse_shown,
    split_commands,
)


def commands(text: str) -> list[tuple[str, str]]:
    return [(command.text, command.shown.kind) for command in split_commands(text.splitlines())]


def test_only_sh_blocks_are_snippets_and_a_skip_belongs_to_the_next_block() -> None:
    page = parse_page(
        "# Title\n\n```sh\necho one\n```\n\n```js\nfetch('/rpc')\n```\n\n"
        "<!-- snippet: skip needs Docker -->\n\n```sh\ndocker ps\n```\n"
        "<!-- snippets: serve --plugins examples.notes.plugin:plugin -->\n"
    )
    assert [(s.line, s.skip, len(s.commands)) for s in page.snippets] == [
        (3, None, 1),
        (13, "needs Docker", 1),
    ]
    assert page.serve == ("--plugins", "examples.notes.plugin:plugin")


def test_a_skip_comment_followed_by_text_skips_nothing() -> None:
    page = parse_page("<!-- snippet: skip not me -->\nSome prose.\n\n```sh\necho\n```\n")
    assert page.snippets[0].skip is None
    with pytest.raises(SnippetError, match="only sh blocks"):
        parse_page("<!-- snippet: skip why -->\n```js\nx\n```\n")
    with pytest.raises(SnippetError, match="never ends"):
        parse_page("```sh\necho\n")


def test_a_command_goes_on_over_backslashes_open_quotes_pipes_and_braces() -> None:
    block = """\
curl -H 'Content-Type: application/json' \\
     -d '{"a": 1}' localhost:8080/rpc
echo '[1,
       2]' |
  http POST localhost:8080/rpc
rpc() { curl -s localhost:8080/rpc \\
             -d "{\\"x\\": \\"$1\\"}"; echo; }
f() {
  echo "it's # not a comment"
}
make run     # a note, not output
"""
    assert [text.splitlines()[0] for text, _ in commands(block)] == [
        "curl -H 'Content-Type: application/json' \\",
        "echo '[1,",
        "rpc() { curl -s localhost:8080/rpc \\",
        "f() {",
        "make run     # a note, not output",
    ]
    assert [len(text.splitlines()) for text, _ in commands(block)] == [2, 3, 2, 3, 1]


def test_a_here_document_is_part_of_its_command() -> None:
    block = "cat > t.py <<'EOF'\n# not output\nx = (\nEOF\necho done\n# done\n"
    [(heredoc, kind), (echo, shown)] = commands(block)
    assert heredoc == "cat > t.py <<'EOF'\n# not output\nx = (\nEOF"
    assert (kind, echo, shown) == ("none", "echo done", "text")
    with pytest.raises(SnippetError, match="here-document"):
        split_commands(["cat <<EOF", "text"])
    with pytest.raises(SnippetError, match="never ends"):
        split_commands(["echo 'open"])


def test_shown_output_is_the_comments_right_after_a_command() -> None:
    block = "# a note first\necho 1\n# 1\n\n# a note after a blank line\necho 2\n"
    [first, second] = split_commands(block.splitlines(), first=10)
    assert (first.line, first.shown) == (11, Shown("json", "1", 1))
    assert (second.line, second.shown.kind) == (15, "none")


def test_kinds_of_shown_output() -> None:
    assert parse_shown(["HTTP/1.1 204 No Content"]) == Shown("status", "HTTP/1.1 204 No Content")
    assert parse_shown(["(as of 2027-01-15T08:00Z)", '{"result": 1}']).kind == "varies"
    assert parse_shown(["(varies: random ids)"]) == Shown("varies", "")
    assert parse_shown(['{"a":', " [1, ...]}"]).kind == "json"
    assert parse_shown(["data: {...}"]).kind == "text"
    assert parse_shown(["(not a marker) 5"]).kind == "text"


@pytest.mark.parametrize(
    ("shown", "actual", "expected"),
    [
        ('{"id": 1, "result": 5}', {"id": 1, "result": 5}, True),
        ('{"id": 1, "result": 5}', {"id": 1, "result": 5, "x": 0}, False),
        ('{"id": 1, ...}', {"id": 1, "result": 5, "x": 0}, True),
        ('{"id": 1, ...}', {"id": 2}, False),
        ('{"result": ...}', {"result": [1, {"deep": True}]}, True),
        ('{"result": ...}', {}, False),
        ("[..., 3]", [1, 2, 3], True),
        ("[..., 3]", [3], True),
        ("[..., 3]", [3, 4], False),
        ("[1, ..., 4]", [1, 4], True),
        ("[1, ...]", [], False),
        ("[...]", [], True),
        ('{"id": "t_...", "n": ...}', {"id": "t_9Qx", "n": None}, True),
        ('{"id": "t_..."}', {"id": "w_9Qx"}, False),
        ('{"id": "t_..."}', {"id": 7}, False),
        ('{"id": "..."}', {"id": "x1"}, True),
        ('{"m": "a ... b ... c"}', {"m": "a 1 b 2 c"}, True),
        ("5", 5.0, False),
        ("1", True, False),
        ("null", None, True),
        ('{"a": [{...}, ...]}', {"a": [{"b": 1}, {"c": 2}]}, True),
        ('{"a": [{...}, ...]}', {"a": []}, False),
        ('{"s": "a, b"}', {"s": "a, b"}, True),
    ],
)
def test_json_patterns(shown: str, actual: object, expected: bool) -> None:
    assert matches(compile_pattern(shown), actual) is expected


def test_a_string_that_holds_dots_or_brackets_is_not_a_pattern_token() -> None:
    assert compile_pattern('{"text": "wait... [ok] {fine},"}') == {"text": "wait... [ok] {fine},"}
    with pytest.raises(ValueError, match="Expecting value"):
        compile_pattern("not json ...")


def test_checks() -> None:
    answer = '{"jsonrpc":"2.0","result":{"id":"x1","n":2},"id":1}\n'
    error = '{"jsonrpc":"2.0","error":{"code":3008,"message":"Payment declined"},"id":1}'
    assert (
        check(parse_shown(['{"jsonrpc":"2.0","error":{"code":3008,...},"id":1}']), error, 1) is None
    )
    assert (
        check(parse_shown(['{"jsonrpc":"2.0","result":{"id":"x...",...},"id":1}']), answer, 0)
        is None
    )
    assert check(parse_shown(['{"jsonrpc":"2.0","result":{"n":2},"id":1}']), answer, 0) is not None
    assert (
        check(
            parse_shown(["HTTP/1.1 204 No Content"]), "HTTP/1.1 204 No Content\r\nServer: x\r\n", 0
        )
        is None
    )
    assert check(parse_shown(["HTTP/1.1 204 No Content"]), "HTTP/1.1 200 OK\r\n", 0) is not None
    assert check(parse_shown(["a...c", "d"]), "abc  \nd\n", 0) is None
    assert check(parse_shown(["a...c"]), "abd", 0) is not None
    lines = parse_shown(["first", "...", "last"])
    assert check(lines, "first\nlast", 0) is None
    assert check(lines, "first\n2\n3\nlast\n", 0) is None
    assert check(lines, "first\nlast\nmore", 0) is not None
    assert check(parse_shown(["...", "last"]), "1\n2\nlast", 0) is None
    assert check(parse_shown(["...", "last"]), "last", 0) is None
    assert check(parse_shown(["5"]), "5\n6\n", 0) is not None


def test_varying_and_unshown_output_is_checked_for_its_outcome() -> None:
    ok = '{"jsonrpc":"2.0","result":{"t":20.5},"id":1}'
    declined = (
        '[{"jsonrpc":"2.0","result":1,"id":1},{"jsonrpc":"2.0","error":{"code":3008},"id":2}]'
    )
    varies = parse_shown(["(varies)", '{"jsonrpc":"2.0","result":{"t":21.0},"id":1}'])
    assert check(varies, ok, 0) is None
    assert check(varies, ok, 1) is not None
    assert check(varies, declined, 0) is not None
    assert check(parse_shown(["(varies)", '... "error":{"code":3008 ...']), declined, 0) is None
    assert check(parse_shown(["(varies)", '"code":3008']), "plain text", 0) is not None
    assert check(parse_shown(["(varies)"]), "any text at all", 0) is None
    nothing = parse_shown([])
    assert check(nothing, "", 0) is None
    assert check(nothing, ok, 0) is None
    assert check(nothing, "", 2) is not None
    assert check(nothing, declined, 0) is not None
