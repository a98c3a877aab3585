"""Markdown (CommonMark with GFM tables and strikethrough, and pandoc's syntax): inline text is
translated, all else kept.

Each paragraph, heading and table cell is a block whose source range in the raw file is known to the
character, so rendering splices translated blocks into the raw text and every other byte (code, raw
HTML, front matter, reference definitions, table syntax, container prefixes) stays as written.
Emphasis, strikethrough and links are spans; inline code, inline HTML, images, autolinks and line
breaks are objects written back as in the source. Soft breaks are spaces in the block text and
objects that carry the source's line end and next-line prefix (`> `, indentation).

An image's alt text and a link's or definition's title are text a reader sees, so each is a block
too, lying inside the source of the object or link that holds it: rendering writes it first and
splices it there. A grid table's cells are documents of their own, laid out again when they change.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, replace
from typing import Any, Union

from babelflow.documents import Block, Document, Span
from babelflow.tasks.formats import FormatOptions, Parsed
from babelflow.tasks.formats.encoding import decode_text, encode_text
from babelflow.tasks.formats.markdown_pandoc import Grid, kept_lines, view
from babelflow.tasks.formats.markdown_source import (
    Lines, Node, Unmapped, definition_title, inline_tree, offsets, read_title, row_cells,
)
from babelflow.tasks.formats.markdown_write import Element, Object, Region, delimiter_tokens, write_block, write_title

# YAML front matter: `---` on the first line, a non-blank line, and a closing `---` or `...` line.
_FRONT_MATTER = re.compile(
    r"---[ \t]*(?:\r\n|\r|\n)(?![ \t]*(?:\r|\n)).*?^(?:---|\.\.\.)[ \t]*(?=\r|\n|\Z)", re.DOTALL | re.MULTILINE
)
# a line that could be a table's delimiter row, under a block that might become a table header
_RULE_LIKE = re.compile(r"[ \t>]*[|:-][-:| \t]*")


def _parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


@dataclass(frozen=True)
class _Cell:
    """A grid table cell's text, read as a document of its own."""

    text: str
    parts: tuple[_Part, ...]
    size: int  # how many blocks its parts have


@dataclass(frozen=True)
class _Table:
    """A grid table: its cells' blocks follow it, in row order."""

    start: int
    end: int
    grid: Grid
    cells: tuple[_Cell, ...]
    eol: str  # its line break

    @property
    def size(self) -> int:
        return sum(cell.size for cell in self.cells)


_Part = Union[Region, _Table]


def parse(data: bytes, options: FormatOptions) -> Parsed:
    """A block per paragraph, heading, table cell, alt text and title with text; inline content that
    markdown-it's tokens cannot be lined up with (none known) is left out, so it is kept as written."""
    raw, bom = decode_text(data)
    env: dict = {}
    blocks, parts = _read(raw, env)
    return Parsed(blocks, (raw, bom, tuple(parts), env))


def _read(raw: str, env: dict) -> tuple[list[Block], list[_Part]]:
    """The blocks of a document or grid table cell, and the parts of `raw` they are read from, in
    source order, a part before the parts inside it; reference definitions are added to `env`."""
    lines = Lines.of(raw)
    front = _FRONT_MATTER.match(raw)
    cut = front.end() if front else 0  # front matter is read as blank lines, so kept whole
    blank = "\n" * (bisect_right(lines.starts, cut) - 1)
    md = _parser().disable(["text_join", "fragments_join"])
    kept = kept_lines(md.parse(blank + raw[cut:], {})) | set(range(len(blank) + 1 if front else 0))
    seen, grids = view(raw, list(zip(lines.starts, lines.ends)), kept)
    lines = Lines.of(seen)
    known = set(env.get("references", ()))
    tokens = md.parse(blank + seen[cut:], env)
    found = _definition_titles(raw, lines, env, known)
    # after the document's reference definitions are known: its cells use them
    found += [table for first, end in grids if (table := _table(raw, lines, first, end, env))]
    context, cells = "paragraph", []
    for i, tok in enumerate(tokens):
        if tok.type in ("paragraph_open", "heading_open"):
            context = "heading" if tok.markup.startswith("#") else "paragraph"
        elif tok.type in ("th_open", "td_open"):
            context = "cell"
        elif tok.type == "tr_open":
            row = [t.content for t in tokens[i : _row_end(tokens, i)] if t.type == "inline"]
            cells = row_cells(lines, tok.map[0], row) or [None] * len(row)
        elif tok.type == "inline":
            offs = cells.pop(0) if context == "cell" else None
            if context == "cell" and offs is None:
                continue
            found += [(region, [block]) for block, region in _blocks(tok, lines, raw, context, md, env, offs)]
    found.sort(key=lambda item: (item[0].start, -item[0].end))
    return [block for _, blocks in found for block in blocks], [part for part, _ in found]


def _row_end(tokens: list, start: int) -> int:
    return next(i for i in range(start, len(tokens)) if tokens[i].type == "tr_close")


def _table(raw: str, lines: Lines, first: int, end: int, env: dict) -> tuple[_Table, list[Block]] | None:
    """A grid table on lines `first` to `end` and its cells' blocks; None if it is not a regular grid."""
    grid = Grid.cut([raw[lines.starts[n] : lines.ends[n]] for n in range(first, end)])
    if grid is None:
        return None
    cells, blocks = [], []
    for text in grid.cells():
        found, parts = _read(text, env)
        cells.append(_Cell(text, tuple(parts), len(found)))
        blocks += found
    eol = raw[lines.ends[first] : lines.starts[first + 1]]
    return _Table(lines.starts[first], lines.ends[end - 1], grid, tuple(cells), eol), blocks


def _definition_titles(raw: str, lines: Lines, env: dict, known: set[str]) -> list[tuple[_Part, list[Block]]]:
    """The titles of the reference definitions read since the labels `known` were."""
    out: list[tuple[_Part, list[Block]]] = []
    for label, ref in env.get("references", {}).items():
        at = definition_title(lines, ref) if label not in known else None
        if at is not None:
            rule = ref["map"][1] < len(lines.starts) and bool(_RULE_LIKE.fullmatch(lines.line(ref["map"][1])))
            out += [(region, [block]) for block, region in _title(raw, *at, rule, False)]
    return out


def _blocks(tok: Any, lines: Lines, raw: str, context: str, md: Any, env: dict,
            offs: list[int] | None) -> list[tuple[Block, Region]]:
    """The blocks of one inline token: none when it cannot be placed in the source."""
    if not tok.content.strip():
        return []
    try:
        offs = offs if offs is not None else offsets(lines, tok.map[0], tok.content)
        nodes = inline_tree(tok.children, tok.content, md, env)
    except Unmapped:
        return []
    after = bisect_right(lines.starts, offs[-1])
    before_rule = context != "cell" and after < len(lines.starts) and bool(_RULE_LIKE.fullmatch(lines.line(after)))
    return _text_blocks(nodes, offs, raw, context, before_rule, context == "cell", md, env)


def _text_blocks(nodes: list[Node], offs: list[int], raw: str, context: str, before_rule: bool, in_row: bool,
                 md: Any, env: dict) -> list[tuple[Block, Region]]:
    """The block of `nodes` (at raw offsets `offs`) if it has text, and the alt texts and titles in it,
    which escape what the block they are in must escape."""
    text, spans, markup, spelled, words = _flatten(nodes, offs, raw, md, env)
    out: list[tuple[Block, Region]] = []
    if text.strip():
        region = Region(offs[0], offs[-1], context, before_rule, tuple(markup), tuple(spelled.items()), in_row)
        out.append((Block(text, spans, words=words), region))
    for node in _descendants(nodes):
        if node.title is not None:
            out += _title(raw, offs[node.title[0]], offs[node.title[1]], before_rule, in_row)
        if node.alt is not None:
            alt = _text_blocks(node.alt, offs[node.start + 2 : node.label_end + 1], raw, "alt", before_rule, in_row,
                               md, env)
            label = raw[offs[node.start + 2] : offs[node.label_end]]
            if raw[offs[node.label_end] : offs[node.end]] in ("]", "][]") and alt and alt[0][1].context == "alt":
                # the text is the label (`![logo]`, `![logo][]`): a translation names it after it
                alt[0] = (alt[0][0], replace(alt[0][1], end=offs[node.end - 1], suffix="][" + label))
            out += alt
    return out


def _descendants(nodes: list[Node]) -> list[Node]:
    return [d for node in nodes for d in (node, *_descendants(node.children))]


def _title(raw: str, start: int, end: int, before_rule: bool, in_row: bool) -> list[tuple[Block, Region]]:
    """A title's block, unless it has no text or spans lines, whose container prefixes it would lose."""
    written = raw[start + 1 : end - 1]
    text, spelled = read_title(written)
    if not text.strip() or "\n" in written or "\r" in written:
        return []
    return [(Block(text), Region(start, end, "title", before_rule, (), tuple(spelled.items()), in_row))]


def _flatten(nodes: list[Node], offs: list[int], raw: str, md: Any,
             env: dict) -> tuple[str, list[Span], list[Element | Object], dict[str, str], frozenset[int]]:
    """Block text, spans, what each ref stands for (refs in document order, parents first), how
    the source spelled the characters it escaped or wrote as references, to spell them so again, and
    the objects read as words.

    An element without text of its own (`[![badge](b.svg)](url)`, `**`code`**`) is one object.
    """
    parts: list[str] = []
    spans: list[Span] = []
    markup: list[Element | Object] = []
    spelled: dict[str, str] = {}
    words: set[int] = set()
    size = 0

    def source(start: int, end: int) -> str:
        return raw[offs[start] : offs[end]]

    def visit(nodes: list[Node], parents: tuple[int, ...]) -> None:
        nonlocal size
        for node in nodes:
            ref = len(markup)
            if node.kind == "text":
                written = source(node.start, node.end)
                if len(node.value) == 1 and written != node.value and node.value != "`":
                    spelled[node.value] = written
                parts.append(node.value)
                size += len(node.value)
            elif node.kind == "element" and node.has_text():
                if node.markup != "[":
                    markup.append(Element(node.markup, node.markup, True))
                else:
                    close = source(node.label_end, node.end)
                    if close in ("]", "][]"):  # the text is the label: keep it as the label
                        markup.append(Element("[", "][" + source(node.start + 1, node.label_end) + "]", False))
                    else:
                        markup.append(Element("[", close, False, offs[node.label_end]))
                start = size
                visit(node.children, (*parents, ref))
                spans.append((start, size, ref))
            else:
                kind = node.kind if node.kind in ("soft", "hard") else "object"
                written = source(node.start, node.end)
                if node.kind == "element" and node.markup != "[":
                    delimiters = tuple(delimiter_tokens(md, written, env))
                    markup.append(Object(written, kind, parents, delimiters, node.markup, offs[node.start]))
                else:
                    markup.append(Object(written, kind, parents, at=offs[node.start]))
                spans.append((size, size, ref))
                if node.is_word():
                    words.add(ref)
                stands_for = {"soft": " ", "hard": "\n"}.get(kind, "")
                parts.append(stands_for)
                size += len(stands_for)

    visit(nodes, ())
    return "".join(parts), spans, markup, spelled, frozenset(words)


def render(doc: Document, blocks: list[Block | None], tgt: str) -> bytes:
    raw, bom, parts, env = doc.skeleton
    return encode_text(_write(raw, parts, doc.blocks, blocks, _parser(), env), bom)


def _write(raw: str, parts: tuple[_Part, ...], old: list[Block], new: list[Block | None], md: Any,
           env: dict) -> str:
    """`raw` with the parts whose blocks changed written anew. A part that comes back as it was keeps
    its source spelling (escapes, entities, line breaks); one inside another (an alt text, a title)
    is written first and spliced into the other's source, or into the markup that holds it."""
    written: dict[int, str] = {}
    inside: list[list[int]] = [[] for _ in parts]
    top: list[int] = []
    open_parts: list[int] = []
    first = [0]
    for i, part in enumerate(parts):
        while open_parts and parts[open_parts[-1]].end <= part.start:
            open_parts.pop()
        (inside[open_parts[-1]] if open_parts else top).append(i)
        open_parts.append(i)
        first.append(first[-1] + (part.size if isinstance(part, _Table) else 1))
    for i in reversed(range(len(parts))):
        part, at = parts[i], first[i]
        inner = [(parts[c].start, parts[c].end, written[c]) for c in inside[i] if c in written]
        if isinstance(part, _Table):
            text = _write_table(part, old[at : first[i + 1]], new[at : first[i + 1]], md, env)
        elif new[at] is None or (new[at].text == old[at].text and sorted(new[at].spans) == sorted(old[at].spans)):
            text = _splice(raw, part.start, part.end, inner) if inner else None
        elif part.context == "title":
            text = write_title(part, new[at].text, raw[part.start])
        else:
            text = write_block(_with_inner(part, raw, inner), new[at], md, env) + part.suffix
        if text is not None:
            written[i] = text
    return _splice(raw, 0, len(raw), [(parts[i].start, parts[i].end, written[i]) for i in top if i in written])


def _write_table(table: _Table, old: list[Block], new: list[Block | None], md: Any, env: dict) -> str | None:
    """The grid table laid out around its cells' new text; None if no cell changed."""
    texts: list[str | None] = []
    at = 0
    for cell in table.cells:
        text = _write(cell.text, cell.parts, old[at : at + cell.size], new[at : at + cell.size], md, env)
        texts.append(None if text == cell.text else text)
        at += cell.size
    return table.eol.join(table.grid.layout(texts)) if any(t is not None for t in texts) else None


def _with_inner(region: Region, raw: str, inner: list[tuple[int, int, str]]) -> Region:
    """The region with the alt texts and titles written anew in the source of the markup holding them."""
    markup = []
    for item in region.markup:
        written = item.close if isinstance(item, Element) else item.source
        end = item.at + len(written)
        held = [w for w in inner if item.at <= w[0] and w[1] <= end] if item.at >= 0 else []
        if not held:
            markup.append(item)
        elif isinstance(item, Element):
            markup.append(replace(item, close=_splice(raw, item.at, end, held)))
        else:
            markup.append(replace(item, source=_splice(raw, item.at, end, held)))
    return replace(region, markup=tuple(markup))


def _splice(raw: str, start: int, end: int, writes: list[tuple[int, int, str]]) -> str:
    """raw[start:end] with each (start, end, text) of `writes`, in order, put in place of its range."""
    out, pos = [], start
    for a, b, text in writes:
        out += [raw[pos:a], text]
        pos = b
    out.append(raw[pos:end])
    return "".join(out)
