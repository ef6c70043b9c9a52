"""The shell examples of README.md and docs/*.md: how they are written, and how they are checked.

The rules, for writers (docs/extending.md, "Examples that run", says the same):

- A **snippet** is a fenced block whose info string is `sh`. Other blocks (`js`, `python`,
  `json`, `toml`, `text`) are not run.
- `<!-- snippet: skip REASON -->` on the line before a block (blank lines may come between)
  keeps it from running; the test lists it with its reason. `<!-- snippets: serve ARGS -->`
  anywhere in a file adds ARGS to the command line of that file's server.
- A **command** starts on a line that is neither blank nor a comment, and goes on while a line
  ends with `\\`, `|`, `&&` or `||`, a quote, `(` or `{` is open, or a here-document has not
  reached its last line.
- Its **shown output** is the lines starting `# ` (or a bare `#`) right after it, with no blank
  line between; a comment after a blank line is a note, and a comment at the end of a
  command's own line is a note too.
- Shown output is checked against what the command printed (stdout and stderr):
  - `HTTP/1.1 204 No Content` as the first line: only the status line is compared (`curl -i`);
  - JSON: compared as parsed JSON, where `...` stands for any value, for any number of array
    items (`[..., 3]`), for the members not shown (`{"id": 1, ...}`), or, inside a string,
    for any text (`"t_..."`);
  - anything else: compared as text, line ends trimmed, `...` matching any text (and a line
    of just `...` any lines, or none);
  - a first line `(varies)` or `(as of ...)` marks output that differs per run (readings,
    times): then the command must exit 0, and any JSON-RPC answer it printed must succeed,
    or fail with exactly the error codes the shown text names (`"code":3008`).
- A command with no shown output must exit 0, and any JSON-RPC answer it prints must succeed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

FENCE = re.compile(r"^```(\S*)\s*$")
SKIP = re.compile(r"^<!--\s*snippet:\s*skip\s+(.+?)\s*-->\s*$")
SERVE = re.compile(r"^<!--\s*snippets:\s*serve\s+(.+?)\s*-->\s*$", re.M)
VARIES = re.compile(r"^\((?:varies|as of)\b.*\)$")
STATUS = re.compile(r"^HTTP/\d(?:\.\d)? \d{3}\b")
CODE = re.compile(r'"code"\s*:\s*(-?\d+)')
HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")

ANY = "\x00any"
"""A compiled `...`: any value, or (in an array) any number of items."""
REST = "\x00rest"
"""The key a compiled `...` among an object's members becomes: other members are allowed."""


class SnippetError(ValueError):
    """A snippet that breaks the rules above (an unfinished command, a stray fence)."""


Kind = Literal["none", "varies", "status", "json", "text"]


@dataclass(frozen=True)
class Shown:
    """What a command's shown output promises, parsed once."""

    kind: Kind
    text: str = ""
    pattern: Any = None


@dataclass(frozen=True)
class Command:
    text: str
    shown: Shown
    line: int
    """The line of the file the command starts on (1-based)."""


@dataclass(frozen=True)
class Snippet:
    path: str
    line: int
    """The line of the block's opening fence (1-based)."""
    commands: tuple[Command, ...]
    skip: str | None = None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Page:
    """A markdown file's snippets, and the extra arguments its server needs."""

    snippets: tuple[Snippet, ...]
    serve: tuple[str, ...] = ()


def read_page(path: Path, root: Path) -> Page:
    """The snippets of one markdown file, named relative to ``root``."""
    return parse_page(path.read_text(), str(path.relative_to(root)))


def parse_page(text: str, name: str = "<text>") -> Page:
    """Every `sh` block of a markdown text, with its skip reason if it has one."""
    lines = text.splitlines()
    snippets: list[Snippet] = []
    skip: str | None = None
    i = 0
    while i < len(lines):
        if match := SKIP.match(lines[i]):
            skip = match.group(1)
        elif fence := FENCE.match(lines[i]):
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), None)
            if end is None:
                raise SnippetError(f"{name}:{i + 1}: a code block that never ends")
            if fence.group(1) == "sh":
                commands = split_commands(lines[i + 1 : end], first=i + 2, name=name)
                snippets.append(Snippet(name, i + 1, tuple(commands), skip))
            elif skip is not None:
                raise SnippetError(f"{name}:{i + 1}: only sh blocks run, so none is skipped")
            skip = None
            i = end
        elif lines[i].strip():
            skip = None  # a skip comment belongs to the block right after it
        i += 1
    serve = tuple(arg for match in SERVE.finditer(text) for arg in match.group(1).split())
    return Page(tuple(snippets), serve)


def split_commands(lines: list[str], first: int = 1, name: str = "<text>") -> list[Command]:
    """A block's commands, each with its shown output; ``first`` is the first line's number."""
    commands: list[Command] = []
    i = 0
    while i < len(lines):
        if not lines[i].strip() or lines[i].lstrip().startswith("#"):
            i += 1
            continue
        start, scan, body = i, _Scan(), []
        while True:
            body.append(lines[i])
            ends = scan.feed(lines[i])
            i += 1
            for word in ends:  # here-documents: their lines are the command's, not output
                while i < len(lines) and lines[i].strip() != word:
                    body.append(lines[i])
                    i += 1
                if i == len(lines):
                    raise SnippetError(f"{name}:{first + start}: a here-document never ends")
                body.append(lines[i])
                i += 1
            if not scan.open:
                break
            if i == len(lines):
                raise SnippetError(f"{name}:{first + start}: the command never ends")
        shown: list[str] = []
        while i < len(lines) and (lines[i].startswith("# ") or lines[i].rstrip() == "#"):
            shown.append(lines[i][2:])
            i += 1
        commands.append(Command("\n".join(body), parse_shown(shown), first + start))
    return commands


class _Scan:
    """Enough of the shell's quoting to tell whether a command goes on to the next line."""

    def __init__(self) -> None:
        self.quote: str | None = None
        self.depth = 0
        self.continued = False

    @property
    def open(self) -> bool:
        return self.quote is not None or self.depth > 0 or self.continued

    def feed(self, line: str) -> list[str]:
        """Scan one more line; answer the here-document words it starts."""
        code: list[str] = []
        heredocs: list[str] = []
        self.continued = False
        i = 0
        while i < len(line):
            char = line[i]
            if self.quote == "'":
                self.quote = None if char == "'" else self.quote
            elif char == "\\":
                if i == len(line) - 1:
                    self.continued = True
                i += 1  # the escaped character means nothing
            elif self.quote == '"':
                self.quote = None if char == '"' else self.quote
            elif char in "'\"":
                self.quote = char
            elif char == "#" and (i == 0 or line[i - 1] in " \t;|&("):
                break  # a comment, to the end of the line
            elif char in "({":
                self.depth += 1
            elif char in ")}":
                self.depth = max(0, self.depth - 1)
            elif not line.startswith("<<<", i) and (match := HEREDOC.match(line, i)):
                heredocs.append(match.group(2))
                i = match.end()
                continue
            code.append(char)
            i += 1
        tail = "".join(code).rstrip()
        if self.quote is None and tail.endswith(("|", "&&")):
            self.continued = True
        return heredocs


def parse_shown(lines: list[str]) -> Shown:
    """What shown output lines (without their `# `) promise."""
    text = "\n".join(lines).strip()
    if not text:
        return Shown("none")
    if VARIES.match(lines[0].strip()):
        return Shown("varies", "\n".join(lines[1:]).strip())
    if STATUS.match(text):
        return Shown("status", text.splitlines()[0].strip())
    try:
        return Shown("json", text, compile_pattern(text))
    except ValueError:
        return Shown("text", text)


def compile_pattern(text: str) -> Any:
    """Shown JSON with `...` elisions as a pattern for `matches`; ValueError if not JSON."""
    out: list[str] = []
    stack: list[str] = []
    key_next = False  # inside an object, where a member's key would come
    i = 0
    while i < len(text):
        char = text[i]
        if char == '"':
            end = i + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            out.append(text[i : end + 1])
            i = end + 1
            key_next = False
            continue
        if text.startswith("...", i):
            out.append(json.dumps(REST) + ":null" if key_next else json.dumps(ANY))
            i += 3
            key_next = False
            continue
        if char in "{[":
            stack.append(char)
        elif char in "}]" and stack:
            stack.pop()
        if char in "{,":
            key_next = bool(stack) and stack[-1] == "{"
        elif not char.isspace():
            key_next = False
        out.append(char)
        i += 1
    return json.loads("".join(out))


def matches(pattern: Any, actual: Any) -> bool:
    """Whether parsed JSON matches a compiled pattern (types as well as values)."""
    if pattern == ANY:
        return True
    if isinstance(pattern, dict):
        if not isinstance(actual, dict):
            return False
        keys = set(pattern) - {REST}
        if not (keys <= set(actual) if REST in pattern else keys == set(actual)):
            return False
        return all(matches(pattern[key], actual[key]) for key in keys)
    if isinstance(pattern, list):
        return isinstance(actual, list) and _items_match(pattern, actual)
    if isinstance(pattern, str) and "..." in pattern:
        return isinstance(actual, str) and _glob(pattern, actual)
    return type(pattern) is type(actual) and pattern == actual


def _items_match(patterns: list[Any], items: list[Any]) -> bool:
    if not patterns:
        return not items
    first, rest = patterns[0], patterns[1:]
    if first == ANY:
        return any(_items_match(rest, items[skip:]) for skip in range(len(items) + 1))
    return bool(items) and matches(first, items[0]) and _items_match(rest, items[1:])


def _glob(shown: str, actual: str) -> bool:
    """`...` in a shown string matches any text."""
    regex = ".*".join(re.escape(part) for part in shown.split("..."))
    return re.fullmatch(regex, actual, re.S) is not None


def _text_matches(shown: str, actual: str) -> bool:
    """`...` matches any text; on a line of its own, any lines, or none."""
    pieces: list[str] = []
    for line in shown.split("\n"):
        if line.strip() == "...":
            pieces.append("(?:\n.*)?" if pieces else "(?:.*\n)?")
            continue
        if pieces and pieces[-1] != "(?:.*\n)?":
            pieces.append("\n")
        pieces.append(".*".join(re.escape(part) for part in line.split("...")))
    return re.fullmatch("".join(pieces), actual, re.S) is not None


def _normalized(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.replace("\r", "").splitlines()).strip()


def _answers(value: Any) -> list[dict[str, Any]] | None:
    """The JSON-RPC answers in a value (one, or a batch's), or None if it holds none."""
    items = value if isinstance(value, list) else [value]
    if items and all(_is_answer(item) for item in items):
        return items
    return None


def _is_answer(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and item.get("jsonrpc") == "2.0"
        and ("result" in item or "error" in item)
    )


def _error_codes(output: str) -> set[int] | None:
    """The error codes of the JSON-RPC answers printed, or None if no answer was printed."""
    try:
        value = json.loads(output)
    except ValueError:
        return None
    answers = _answers(value)
    if answers is None:
        return None
    return {answer["error"]["code"] for answer in answers if "error" in answer}


def check(shown: Shown, output: str, status: int) -> str | None:
    """Why a command's output breaks what its doc shows, or None if it keeps it."""
    printed = _normalized(output)
    if shown.kind in ("none", "varies"):
        expected = {int(code) for code in CODE.findall(shown.text)}
        codes = _error_codes(printed)
        if codes is None and expected:
            return f"it printed no JSON-RPC answer, where the doc shows codes {sorted(expected)}"
        if codes is not None and codes != expected:
            return f"the answer's error codes are {sorted(codes)}, not {sorted(expected)}"
        if status != 0 and not expected:
            return f"it exited with status {status}"
        return None
    if shown.kind == "status":
        got = printed.splitlines()[0] if printed else ""
        return None if got == shown.text else f"the status line is {got!r}, not {shown.text!r}"
    if shown.kind == "json":
        try:
            value = json.loads(printed)
        except ValueError:
            return "it printed no JSON, or more than one JSON value"
        return None if matches(shown.pattern, value) else "the JSON printed differs"
    return None if _text_matches(_normalized(shown.text), printed) else "the text printed differs"
