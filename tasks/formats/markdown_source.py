"""Where markdown-it's inline content came from: its tokens carry line numbers at best, never columns.

An inline token's `content` is its lines with the container prefixes (`> `, list indentation) cut
off, so each content character is found again in the raw text (`offsets`), and its children, which
carry no positions at all, are walked against that content (`inline_tree`), re-running markdown-it's
own rules in silent mode where a construct's extent is not in its token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# markdown-it's line breaks, and the whitespace its `mdTrim` strips
_EOL = re.compile(r"\r\n|\r|\n")
_TRIM = "\t\n\x0b\x0c\r \u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029"
# a soft or hard break: the spaces before it, the line end (or `\`), the next line's indentation
_BREAK = re.compile(r"(?:[ ]*\n|\\\n)[ \t]*")
# what may stand before a table row on its line: blockquote markers, list markers, indentation
_ROW_PREFIX = re.compile(r"(?:[ \t>]|[-+*][ \t]|[0-9]{1,9}[.)][ \t])*")
# in a link title: a backslash escape, a character reference, or a character as it is
_TITLE_PIECE = re.compile(
    r"\\[!-/:-@\[-`{-~]|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});|.", re.DOTALL
)
_TITLE_OPEN = {'"': '"', "'": "'", ")": "("}


class Unmapped(Exception):
    """markdown-it's tokens do not line up with the source: the block is kept as written."""


@dataclass(frozen=True)
class Lines:
    """The raw text as markdown-it sees it (NUL read as U+FFFD, same length), cut into lines."""

    text: str
    starts: list[int]
    ends: list[int]  # where each line's line break starts

    @classmethod
    def of(cls, raw: str) -> Lines:
        breaks = list(_EOL.finditer(raw))
        starts = [0] + [m.end() for m in breaks]
        return cls(raw.replace("\0", "\ufffd"), starts, [m.start() for m in breaks] + [len(raw)])

    def line(self, n: int) -> str:
        return self.text[self.starts[n] : self.ends[n]]


def offsets(lines: Lines, first: int, content: str) -> list[int]:
    """Raw offset of each character of a paragraph's or heading's content, plus its end.

    Every content line but the last is a suffix of its raw line; the last may be followed by
    trailing whitespace or a heading's closing `#`s. A partly expanded tab makes the leading
    whitespace of a line differ from the source: it then maps to where the line's text starts.
    """
    offs: list[int] = []
    parts = content.split("\n")
    for i, part in enumerate(parts):
        n = first + i
        if n >= len(lines.starts):
            raise Unmapped(f"line {n} is past the end")
        line, last = lines.line(n), i == len(parts) - 1
        body = part
        col = _locate(line, body, last)
        if col is None:
            body = part.lstrip(" \t")
            col = _locate(line, body, last)
        if col is None:
            raise Unmapped(f"inline content not found on line {n + 1}")
        at = lines.starts[n] + col
        offs += [at] * (len(part) - len(body)) + list(range(at, at + len(body)))
        offs.append(lines.ends[n] if not last else at + len(body))
    return offs


def _locate(line: str, part: str, last: bool) -> int | None:
    if not last:
        return len(line) - len(part) if line.endswith(part) else None
    col = line.rfind(part)
    return col if col >= 0 and not line[col + len(part) :].strip(_TRIM + "#") else None


def row_cells(lines: Lines, n: int, contents: list[str]) -> list[list[int] | None] | None:
    """Raw offsets of each cell of a table row (None for a cell the row lacks), given the cells'
    content as markdown-it read it.

    The row starts after its container prefix (`> `, `- `, indentation), which the tokens do not
    give: it is the first start after which the cells, split and trimmed like markdown-it does
    (`\\|` read as `|`), have that content.
    """
    line, base = lines.line(n), lines.starts[n]
    end = len(line.rstrip(_TRIM))
    for start in range(_ROW_PREFIX.match(line).end() + 1):
        cells = _split_row(line, start, end)
        missing = [None] * (len(contents) - len(cells))
        if [c for c, _ in cells[: len(contents)]] + [""] * len(missing) == contents:
            return [[base + o for o in offs] for _, offs in cells[: len(contents)]] + missing
    return None


def _split_row(line: str, start: int, end: int) -> list[tuple[str, list[int]]]:
    """markdown-it's `escapedSplit` and trimming, keeping where each character came from."""
    bounds, cell, escaped = [], start, False
    for pos in range(start, end):
        if line[pos] == "|" and not escaped:
            bounds.append((cell, pos))
            cell = pos + 1
        escaped = line[pos] == "\\"
    bounds.append((cell, end))
    if bounds[0][0] == bounds[0][1]:
        bounds.pop(0)
    if bounds and bounds[-1][0] == bounds[-1][1]:
        bounds.pop()
    cells = []
    for a, b in bounds:
        chars: list[str] = []
        offs: list[int] = []
        pos = a
        while pos < b:
            step = 2 if line.startswith("\\|", pos) and pos + 1 < b else 1
            chars.append(line[pos + step - 1])
            offs.append(pos)
            pos += step
        text = "".join(chars)
        lead, size = len(text) - len(text.lstrip(_TRIM)), len(text.rstrip(_TRIM))
        if size <= lead:
            cells.append(("", [b]))
        else:
            cells.append((text[lead:size], offs[lead:size] + [offs[size] if size < len(offs) else b]))
    return cells


def read_title(written: str) -> tuple[str, dict[str, str]]:
    """What a title, written between its delimiters, says, and how it spelled the characters it
    escaped or wrote as references, to spell them so again."""
    from markdown_it.common.utils import unescapeAll

    text: list[str] = []
    spelled: dict[str, str] = {}
    for m in _TITLE_PIECE.finditer(written):
        value = unescapeAll(m.group())
        if value != m.group() and len(value) == 1:
            spelled[value] = m.group()
        text.append(value)
    return "".join(text), spelled


def definition_title(lines: Lines, ref: dict) -> tuple[int, int] | None:
    """Raw offsets of a reference definition's title, delimiters included, as markdown-it read it
    (`env["references"]` entry): at the end of the definition's last line; None where it has none
    or it starts on an earlier line."""
    from markdown_it.helpers import parseLinkTitle

    if not ref["title"]:
        return None
    n = ref["map"][1] - 1
    line = lines.line(n)
    end = len(line.rstrip(" \t"))
    opener = _TITLE_OPEN.get(line[end - 1 : end])
    for start in range(end - 2, 0, -1):
        if line[start] == opener and line[start - 1] in " \t":
            found = parseLinkTitle(line, start, end)
            if found.ok and found.pos == end and found.str == ref["title"]:
                return lines.starts[n] + start, lines.starts[n] + end
    return None


@dataclass
class Node:
    """A piece of inline content: `text`, `soft`/`hard` break, `object` kept as written, or `element`."""

    kind: str
    start: int  # content offsets
    end: int
    value: str = ""  # text: what a reader sees
    markup: str = ""  # element: its delimiter (`*`, `__`, `~~`) or `[` for a link
    label_end: int = -1  # link or image: where its text ends (the `]`)
    children: list[Node] = field(default_factory=list)
    title: tuple[int, int] | None = None  # link or image: its inline title, delimiters included
    alt: list[Node] | None = None  # image: its text, at offsets into the label (from `start + 2`)
    word: bool = False  # object: read as a word of the sentence (inline code, an autolink)

    def has_text(self) -> bool:
        return bool(self.value.strip()) or any(c.has_text() for c in self.children)

    def is_word(self) -> bool:
        """An object, or an element without text of its own (`**`code`**`), read as a word."""
        return self.word or self.kind == "element" and any(c.is_word() for c in self.children)


def inline_tree(children: list[Any], content: str, md: Any, env: dict) -> list[Node]:
    """The children of an inline token as nodes with their extent in `content`.

    Needs the parser to run without `text_join` and `fragments_join`, so that every token but an
    emptied `**` half has source text of its own, in source order.
    """
    walk = _Walk(content, md, env)
    for tok in children:
        walk.step(tok)
    if walk.pos != len(content) or len(walk.stack) != 1:
        raise Unmapped("inline tokens do not cover the content")
    return walk.stack[0].children


class _Walk:
    """Inline tokens against their content: where the next token must start, and the open elements."""

    def __init__(self, content: str, md: Any, env: dict) -> None:
        from markdown_it.rules_inline import StateInline

        self.content, self.md = content, md
        self.state = StateInline(content, md, env, [])
        self.stack = [Node("element", 0, len(content))]
        self.pos = 0
        self.in_autolink = False

    def extent(self, rule: Any) -> int:
        """Where markdown-it's own `rule`, run in silent mode, ends the construct starting here."""
        self.state.pos, self.state.posMax = self.pos, _limit(self.stack, self.content)
        if not rule(self.state, True):
            raise Unmapped(f"{rule.__name__} does not match at {self.pos}")
        return self.state.pos

    def add(self, node: Node, end: int) -> None:
        self.stack[-1].children.append(node)
        self.pos = end

    def step(self, tok: Any) -> None:
        kind = tok.type
        if self.in_autolink:
            self.in_autolink = kind != "link_close"
        elif kind in ("text", "text_special"):
            written = tok.content if kind == "text" else tok.markup
            if written:  # else the emptied half of a `**` pair: its strong token took the source
                _expect(self.content, self.pos, written)
                self.add(Node("text", self.pos, self.pos + len(written), tok.content), self.pos + len(written))
        elif kind in ("softbreak", "hardbreak"):
            m = _BREAK.match(self.content, self.pos)
            if m is None:
                raise Unmapped(f"no line break at {self.pos}")
            self.add(Node(kind[:4], self.pos, m.end()), m.end())
        elif kind in ("code_inline", "image", "html_inline") or (kind == "link_open" and tok.info == "auto"):
            self.inline_object(tok)
        elif kind in ("link_open", "em_open", "strong_open", "s_open"):
            self.open(tok)
        elif kind in ("em_close", "strong_close", "s_close", "link_close") and len(self.stack) > 1:
            self.close(tok)
        else:
            raise Unmapped(f"unexpected {kind} token")

    def inline_object(self, tok: Any) -> None:
        """Kept as written; an image's alt text and title are read too, to be blocks of their own."""
        from markdown_it.rules_inline import autolink, backtick, image

        if tok.type == "html_inline":
            _expect(self.content, self.pos, tok.content)
            end = self.pos + len(tok.content)
        else:
            end = self.extent({"code_inline": backtick, "image": image, "link_open": autolink}[tok.type])
        self.in_autolink = tok.type == "link_open"
        node = Node("object", self.pos, end, word=tok.type in ("code_inline", "link_open"))
        if tok.type == "image":
            node.label_end = self.md.helpers.parseLinkLabel(self.state, self.pos + 1, False)
            node.title = self.title(tok, node.label_end, end)
            try:
                node.alt = inline_tree(tok.children or [], self.content[self.pos + 2 : node.label_end], self.md,
                                       self.state.env)
            except Unmapped:  # the alt text is kept as written, not the whole block
                node.alt = None
        self.add(node, end)

    def open(self, tok: Any) -> None:
        from markdown_it.rules_inline import link

        if tok.type == "link_open":
            self.state.posMax = _limit(self.stack, self.content)
            label_end = self.md.helpers.parseLinkLabel(self.state, self.pos, True)
            node = Node("element", self.pos, self.extent(link), markup="[", label_end=label_end)
            node.title = self.title(tok, label_end, node.end)
            self.add(node, self.pos + 1)
        else:
            _expect(self.content, self.pos, tok.markup)
            node = Node("element", self.pos, -1, markup=tok.markup)
            self.add(node, self.pos + len(tok.markup))
        self.stack.append(node)

    def title(self, tok: Any, label_end: int, end: int) -> tuple[int, int] | None:
        """Where the title of `[text](dest "title")` lies, as markdown-it's link rule finds it; None
        without one, or for a reference, whose definition holds the title."""
        text, helpers = self.content, self.md.helpers
        if tok.attrGet("title") is None or not text.startswith("(", label_end + 1):
            return None
        pos = _skip_space(text, label_end + 2, end)
        dest = helpers.parseLinkDestination(text, pos, end)
        if dest.ok and self.md.validateLink(self.md.normalizeLink(dest.str)):
            pos = dest.pos
        start = _skip_space(text, pos, end)
        found = helpers.parseLinkTitle(text, start, end)
        return (start, found.pos) if start > pos and found.ok and found.str == tok.attrGet("title") else None

    def close(self, tok: Any) -> None:
        node = self.stack.pop()
        if tok.type == "link_close":
            if self.pos != node.label_end:
                raise Unmapped(f"link text ends at {node.label_end}, not {self.pos}")
            self.pos = node.end
        else:
            _expect(self.content, self.pos, tok.markup)
            self.pos = node.end = self.pos + len(tok.markup)


def _limit(stack: list[Node], content: str) -> int:
    """Inside a link's text, markdown-it parses only up to its `]`."""
    return next((n.label_end for n in reversed(stack) if n.label_end >= 0), len(content))


def _skip_space(text: str, pos: int, end: int) -> int:
    while pos < end and text[pos] in " \t\n":
        pos += 1
    return pos


def _expect(content: str, pos: int, written: str) -> None:
    if not content.startswith(written, pos):
        raise Unmapped(f"{written!r} is not at {pos}")
