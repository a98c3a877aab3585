"""Markdown (CommonMark with GFM tables and strikethrough): inline text is translated, all else kept.

Each paragraph, heading and table cell is a block whose source range in the raw file is known to the
character, so rendering splices translated blocks into the raw text and every other byte (code, raw
HTML, front matter, reference definitions, table syntax, container prefixes) stays as written.
Emphasis, strikethrough and links are spans; inline code, inline HTML, images (alt text included),
autolinks and line breaks are objects written back as in the source. Soft breaks are spaces in the
block text and objects that carry the source's line end and next-line prefix (`> `, indentation).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Any, Callable

from babelflow.documents import Block, Document, Span
from babelflow.tasks.formats import FormatOptions, Parsed
from babelflow.tasks.formats.encoding import decode_text, encode_text
from babelflow.tasks.formats.markdown_pandoc import kept_lines, view
from babelflow.tasks.formats.markdown_source import Lines, Node, Unmapped, inline_tree, offsets, row_cells
from babelflow.tasks.formats.markdown_write import Element, Object, Region, as_html, delimiter_tokens, write_block

# YAML front matter: `---` on the first line, a non-blank line, and a closing `---` or `...` line.
_FRONT_MATTER = re.compile(
    r"---[ \t]*(?:\r\n|\r|\n)(?![ \t]*(?:\r|\n)).*?^(?:---|\.\.\.)[ \t]*(?=\r|\n|\Z)", re.DOTALL | re.MULTILINE
)
# a line that could be a table's delimiter row, under a block that might become a table header
_RULE_LIKE = re.compile(r"[ \t>]*[|:-][-:| \t]*")


def _parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def parse(data: bytes, options: FormatOptions) -> Parsed:
    """A block per paragraph, heading and table cell with text; inline content that markdown-it's
    tokens cannot be lined up with (none known) is left out, so it is kept as written."""
    raw, bom = decode_text(data)
    lines = Lines.of(raw)
    front = _FRONT_MATTER.match(raw)
    cut = front.end() if front else 0  # front matter is read as blank lines, so kept whole
    blank = "\n" * (bisect_right(lines.starts, cut) - 1)
    md = _parser().disable(["text_join", "fragments_join"])
    kept = kept_lines(md.parse(blank + raw[cut:], {})) | set(range(len(blank) + 1 if front else 0))
    seen = view(raw, list(zip(lines.starts, lines.ends)), kept)
    lines = Lines.of(seen)
    env: dict = {}
    tokens = md.parse(blank + seen[cut:], env)
    blocks: list[Block] = []
    regions: list[Region] = []
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
            made = _block(tok, lines, raw, context, md, env, offs)
            if made is not None:
                blocks.append(made[0])
                regions.append(made[1])
    return Parsed(blocks, (raw, bom, tuple(regions), env))


def _row_end(tokens: list, start: int) -> int:
    return next(i for i in range(start, len(tokens)) if tokens[i].type == "tr_close")


def _block(tok: Any, lines: Lines, raw: str, context: str, md: Any, env: dict,
           offs: list[int] | None) -> tuple[Block, Region] | None:
    """The block of one inline token, or None when it has no text or cannot be placed in the source."""
    if not tok.content.strip():
        return None
    try:
        offs = offs if offs is not None else offsets(lines, tok.map[0], tok.content)
        nodes = inline_tree(tok.children, tok.content, md, env)
    except Unmapped:
        return None
    text, spans, markup, spelled = _flatten(nodes, lambda a, b: raw[offs[a] : offs[b]], md, env)
    if not text.strip():
        return None
    after = bisect_right(lines.starts, offs[-1])
    before_rule = context != "cell" and after < len(lines.starts) and bool(_RULE_LIKE.fullmatch(lines.line(after)))
    region = Region(offs[0], offs[-1], context, before_rule, tuple(markup), tuple(spelled.items()))
    return Block(text, spans), region


def _flatten(nodes: list[Node], source: Callable[[int, int], str], md: Any,
             env: dict) -> tuple[str, list[Span], list[Element | Object], dict[str, str]]:
    """Block text, spans, what each ref stands for (refs in document order, parents first), and how
    the source spelled the characters it escaped or wrote as references, to spell them so again.

    An element without text of its own (`[![badge](b.svg)](url)`, `**`code`**`) is one object.
    """
    parts: list[str] = []
    spans: list[Span] = []
    markup: list[Element | Object] = []
    spelled: dict[str, str] = {}
    size = 0

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
                        close = "][" + source(node.start + 1, node.label_end) + "]"
                    markup.append(Element("[", close, False))
                start = size
                visit(node.children, (*parents, ref))
                spans.append((start, size, ref))
            else:
                kind = node.kind if node.kind in ("soft", "hard") else "object"
                written = source(node.start, node.end)
                if node.kind == "element" and node.markup != "[":
                    width = len(node.markup)
                    html = as_html(node.markup, source(node.start + width, node.end - width))
                    markup.append(Object(written, kind, parents, tuple(delimiter_tokens(md, written, env)), html))
                else:
                    markup.append(Object(written, kind, parents))
                spans.append((size, size, ref))
                stands_for = {"soft": " ", "hard": "\n"}.get(kind, "")
                parts.append(stands_for)
                size += len(stands_for)

    visit(nodes, ())
    return "".join(parts), spans, markup, spelled


def render(doc: Document, blocks: list[Block | None], tgt: str) -> bytes:
    raw, bom, regions, env = doc.skeleton
    md = _parser()
    out: list[str] = []
    pos = 0
    for region, old, new in zip(regions, doc.blocks, blocks):
        out.append(raw[pos : region.start])
        # a block that comes back as it was keeps its source spelling: escapes, entities, line breaks
        unchanged = new is None or (new.text == old.text and sorted(new.spans) == sorted(old.spans))
        out.append(raw[region.start : region.end] if unchanged else write_block(region, new, md, env))
        pos = region.end
    out.append(raw[pos:])
    return encode_text("".join(out), bom)
