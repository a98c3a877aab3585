"""Markdown through `babelflow translate`: structure, code, URLs and raw HTML survive; only text changes."""

from __future__ import annotations

import random
import re
import shutil
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import CORPUS, with_corpus
from protected_text import pseudo_or_kept

from babelflow.documents import Block, Document
from babelflow.tasks.engines.pseudo import _LOWER, _UPPER, pseudo
from babelflow.tasks.formats import FormatOptions, markdown
from babelflow.tasks.formats.markdown_pandoc import Grid, kept_lines, view
from babelflow.tasks.formats.markdown_source import Lines

CORPUS_FILES = sorted(p.name for p in (CORPUS / "md").glob("*.md"))
# front matter is kept whole; CommonMark would read it as a rule and a heading
FRONT_MATTER = re.compile(rb"\A(?:\xef\xbb\xbf)?---[ \t]*\r?\n.*?\n(?:---|\.\.\.)[ \t]*\r?\n", re.DOTALL)

# Constructs and characters that interact (delimiter runs, escapes, entities, containers, tables,
# breaks, CRLF), shuffled into paragraphs that no hand-written case would think of.
PIECES = [
    "word", "Word", "two words", " ", "  ", "\n", "\n\n", "\t", "\r\n", "*", "**", "_", "__", "~~", "~", "`", "``",
    "[", "]", "](http://x.y)", '](<a b> "t")', "![", "<b>", "</b>", "<http://a.b>", "<a@b.c>", "\\", "\\*",
    "&amp;", "&copy;", "&#65;", "> ", "- ", "1. ", "# ", "## ", "|", " | ", "---", "===", "    ", "[ref]", "[ref][]",
    "[x][ref]", "#", "1)", "+ ", ":", "'", '"', "(", ")", "!", "<", ">", "a_b", "x*y",
]


def generated(seed: int, paragraphs: int) -> str:
    rng = random.Random(seed)
    out = []
    for _ in range(paragraphs):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 25)))
        if rng.random() < 0.2:
            text = "| a | b |\n|---|:-:|\n| " + text.replace("\n", " ").replace("\r", " ") + " | c \\| d |"
        out.append(text)
    return "\n\n".join(out) + '\n\n[ref]: http://r.s "T"\n'


CASES = {
    "hello.md": 'Hello **bold _world_** and [a link](http://x.y "t").\n',
    "list.md": "- First item\n- Second item, with `code` inside\n  and a continuation line\n",
    "quote.md": "> A quoted paragraph that\n> spans two lines.\n",
    "table.md": "| Name | Value |\n|:-----|------:|\n| alpha | one two |\n| `x\\|y` | a \\| b |\n",
    "heading.md": "## Heading text ##\n\nSetext title\n============\n",
    "code.md": "Run `make test` now.\n\n```python\nprint('hello world')\n```\n\n    indented code block\n",
    "autolink.md": "See <https://example.com/path> or <me@example.com>.\n",
    "refs.md": (
        "See [the docs] and [this page][docs] or [docs][].\n\n"
        '[the docs]: https://example.com/docs "Docs"\n[docs]: https://example.com/\n'
    ),
    "escapes.md": (
        "1\\. Not a list\n\n\\# Not a heading\n\n\\* Not a bullet and \\*not emphasis\\*\n\n"
        "&lt;b&gt; is not HTML, \\`not code\\` and \\[not a link\\]\n\nA line\n\\- not an item\n"
    ),
    "html.md": (
        '<div class="note">\nRaw block text\n</div>\n\n'
        "Inline <kbd>Ctrl</kbd> key and an image ![alt text](img.png) here.\n"
    ),
    # alt texts and titles: inline, by reference, in a badge link, with quotes and escapes, in a table cell
    "titles.md": (
        '![A *moon* photo](moon.jpg "The moon") and [![build status](b.svg)](ci "CI \\"main\\"").\n\n'
        "![logo][] by [us][site].\n\n| a | b |\n|---|---|\n| [x](u 'it\\'s') | ![y z](i.png) |\n\n"
        '[logo]: logo.png (Our logo)\n[site]: https://example.com "Our &amp; site"\n'
    ),
    # pandoc's simple and multiline tables are kept as they are; their captions are translated
    "dash_tables.md": (
        "  Right     Left\n-------     ------\n     12     a b\n    123     c d\n\nTable: A simple table.\n\n"
        "-------------------------\n Centered   Default\n  Header    Aligned\n----------- -------------\n"
        "   First    a row that\n            spans lines.\n\n  Second    more\n-------------------------\n\n"
        "----- -----\n one  two\n----- -----\n\nAfter the tables.\n"
    ),
    "crlf.md": "\ufeff---\r\ntitle: A title\r\n---\r\n\r\n> Some text,  \r\n> after a hard break.\r\n",
    "generated.md": generated(seed=0, paragraphs=400),
    # pandoc's own syntax: header attributes, definitions, divs, a grid table with code in a cell
    "pandoc.md": (
        "&#9;foo bar\n\nA&nbsp;b \\*c\\* d &amp; e\n\n# Title {#my-id .cls}\n\nTerm\n\n:   Definition *here*.\n\n"
        "    More of it.\n\n::: {.note}\nInside a div.\n:::\n\n+-------+--------+\n| Cell  | `code` |\n"
        "+=======+========+\n| text  | ```    |\n|       | x = 1  |\n|       | ```    |\n+-------+--------+\n"
    ),
}
# emphasis written as HTML where no delimiter character can open and close (next to `&#65;` read as `A`)
EMPHASIS_TAGS = {f"<{slash}{tag}>" for slash in ("", "/") for tag in ("em", "strong", "s")}
DOCUMENTS = [f"corpus/{name}" for name in CORPUS_FILES] + [f"cases/{name}" for name in CASES]
# a pseudo letter is an ASCII letter still; a shortcut reference `[Label]` must name its label (`[Ĺáƀéĺ][Label]`)
_LETTERS = str.maketrans(dict.fromkeys("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" + _LOWER + _UPPER, "a"))


def _markdown():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    """One `babelflow translate` per engine over all documents, as the `cli` fixture runs it."""
    from babelflow.cli import main

    root = tmp_path_factory.mktemp("md")
    src = root / "src"
    if CORPUS.is_dir():  # without it the hand-written cases still run, and the corpus ones skip (with_corpus)
        assert CORPUS_FILES, f"no .md files in {CORPUS / 'md'}"
        shutil.copytree(CORPUS / "md", src / "corpus")
    (src / "cases").mkdir(parents=True)
    for name, text in CASES.items():
        (src / "cases" / name).write_bytes(text.encode())
    (src / "cases" / "broken.md").write_bytes(b"\x00\x01binary\x00" * 50)
    outputs = {"src": src}
    for engine in ("identity", "pseudo"):
        dest = root / engine
        code = main(["translate", str(src), "--to", "fr", "--from", "en", "--out", str(dest), "--engine", engine])
        assert code == 1, "broken.md fails alone"
        outputs[engine] = dest
    return outputs


def _read(run: dict, engine: str, doc: str) -> bytes:
    """The source document (engine `src`) or its translation by `engine`."""
    return (run["src"] / doc if engine == "src" else run[engine] / "fr" / doc).read_bytes()


def _body(data: bytes) -> str:
    """The document without its front matter, which CommonMark would read as Markdown."""
    m = FRONT_MATTER.match(data)
    return data[m.end() if m else 0 :].decode("utf-8-sig")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        """Alt texts and titles are translated: only their letters may change."""
        attrs = [(k, v.translate(_LETTERS) if k in ("alt", "title") else v) for k, v in attrs]
        self.tags.append(("<", tag, tuple(attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.tags.append((">", tag))


def _pandoc(text: str) -> list[str]:
    """The text as pandoc reads its blocks (definitions, divs), for CommonMark: grid tables, simple
    and multiline tables and header attributes blanked, so both sides of a comparison are read the
    same way; then each grid table cell's text, read likewise, where the table is a regular grid."""
    lines = Lines.of(text)
    seen, grids = view(text, list(zip(lines.starts, lines.ends)), kept_lines(_markdown().parse(text)))
    out: list = [seen]
    for first, end in grids:
        grid = Grid.cut([text[lines.starts[n] : lines.ends[n]] for n in range(first, end)])
        out.append(("grid", grid and (len(grid.lines[0]), len(grid.rows()))))
        out += [document for cell in grid.cells() for document in _pandoc(cell)] if grid else []
    return out


@cache
def _structure(text: str) -> list[tuple]:
    """Tags and attributes of the rendered HTML, in order, and the shape of each grid table."""
    parser = _Tags()
    for document in _pandoc(text):
        if isinstance(document, str):
            parser.feed(_markdown().render(document))
        else:
            parser.tags.append(document)
    return parser.tags


@cache
def _reading(text: str) -> tuple[list[str], list]:
    """What a reader sees block by block (alt texts and titles are blocks of their own), and what must
    be kept: code, URLs, raw HTML."""
    blocks: list[str] = []
    kept: list = []

    def inline(children: list) -> None:
        words: list[str] = []
        autolink = False
        for child in children:
            if child.type == "code_inline" or (child.type == "html_inline" and child.content not in EMPHASIS_TAGS):
                kept.append((child.type, child.content))
            elif child.type in ("image", "link_open"):
                kept.append((child.type, child.attrs.get("src", child.attrs.get("href"))))
                blocks.append(" ".join(str(child.attrs.get("title", "")).split()))
                autolink = child.info == "auto"
                if child.type == "image":
                    inline(child.children or [])
            elif child.type == "link_close":
                autolink = False
            elif child.type == "text" and not autolink:
                words.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                words.append(" ")
        blocks.append(" ".join("".join(words).split()))

    for document in _pandoc(text):
        for tok in _markdown().parse(document) if isinstance(document, str) else []:
            if tok.type in ("fence", "code_block", "html_block"):
                kept.append((tok.type, tok.info, tok.content))
            if tok.type == "inline":
                inline(tok.children)
    return blocks, kept


def test_cases_parse_as_intended() -> None:
    """The hand-written cases are what their names say, so the checks below test those constructs."""
    html = {name: _markdown().render(text) for name, text in CASES.items()}
    assert "<li>" in html["list.md"] and "<blockquote>" in html["quote.md"] and html["table.md"].count("<td") == 4
    assert html["heading.md"].count("<h") == 2 and '<pre><code class="language-python">' in html["code.md"]
    assert html["refs.md"].count("<a href") == 3 and "<code>" not in html["escapes.md"]


@pytest.mark.parametrize("doc", with_corpus(DOCUMENTS))
def test_identity_round_trip_is_byte_identical(run, doc) -> None:
    assert _read(run, "identity", doc) == _read(run, "src", doc)


@pytest.mark.parametrize("doc", with_corpus(DOCUMENTS))
def test_pseudo_keeps_structure_code_urls_and_html(run, doc) -> None:
    source, output = _read(run, "src", doc), _read(run, "pseudo", doc)
    front = FRONT_MATTER.match(source)
    if front:
        assert output.startswith(front.group()), "front matter is kept byte for byte"
    assert output.count(b"\r\n") == source.count(b"\r\n")
    src_text, out_text = _body(source), _body(output)
    assert _structure(out_text) == _structure(src_text)
    src_blocks, src_kept = _reading(src_text)
    out_blocks, out_kept = _reading(out_text)
    assert out_kept == src_kept
    assert len(out_blocks) == len(src_blocks)
    wrong = [(a, b) for a, b in zip(src_blocks, out_blocks) if not pseudo_or_kept(a, b)]
    assert not wrong, f"every ASCII letter changed but in protected spans: {wrong[:3]}"
    assert sum(map(len, src_blocks)) > 0


def test_one_sentence_with_emphasis_and_link_is_one_segment(run) -> None:
    rows = [r for r in pq.read_table(run["pseudo"] / "segments").to_pylist() if r["source"].endswith("hello.md")]
    assert [r["source_text"] for r in rows] == ["Hello bold world and a link.", "t"], "the title is a block"
    expected = (f'{pseudo("Hello")} **{pseudo("bold")} _{pseudo("world")}_** {pseudo("and")} '
                f'[{pseudo("a link")}](http://x.y "{pseudo("t")}").\n')
    assert _read(run, "pseudo", "cases/hello.md").decode() == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("list.md", f"- {pseudo('First item')}\n- {pseudo('Second item, with')} `code` {pseudo('inside')}\n"
                f"  {pseudo('and a continuation line')}\n"),
    ("quote.md", f"> {pseudo('A quoted paragraph that')}\n> {pseudo('spans two lines.')}\n"),
    ("table.md", f"| {pseudo('Name')} | {pseudo('Value')} |\n|:-----|------:|\n| {pseudo('alpha')} | "
                 f"{pseudo('one two')} |\n| `x\\|y` | {pseudo('a')} \\| {pseudo('b')} |\n"),
    ("heading.md", f"## {pseudo('Heading text')} ##\n\n{pseudo('Setext title')}\n============\n"),
    ("code.md", f"{pseudo('Run')} `make test` {pseudo('now')}.\n\n```python\nprint('hello world')\n```\n\n"
                "    indented code block\n"),
    ("autolink.md", f"{pseudo('See')} <https://example.com/path> {pseudo('or')} <me@example.com>.\n"),
    ("refs.md", f"{pseudo('See')} [{pseudo('the docs')}][the docs] {pseudo('and')} [{pseudo('this page')}][docs] "
                f"{pseudo('or')} [{pseudo('docs')}][docs].\n\n"
                f'[the docs]: https://example.com/docs "{pseudo("Docs")}"\n[docs]: https://example.com/\n'),
    ("html.md", f'<div class="note">\nRaw block text\n</div>\n\n{pseudo("Inline")} <kbd>{pseudo("Ctrl")}</kbd> '
                f"{pseudo('key and an image')} ![{pseudo('alt text')}](img.png) {pseudo('here')}.\n"),
    ("titles.md", f'![{pseudo("A")} *{pseudo("moon")}* {pseudo("photo")}](moon.jpg "{pseudo("The moon")}") '
                  f'{pseudo("and")} [![{pseudo("build status")}](b.svg)]'
                  f'(ci "{pseudo("CI")} \\"{pseudo("main")}\\"").\n\n'
                  f"![{pseudo('logo')}][logo] {pseudo('by')} [{pseudo('us')}][site].\n\n| á | ƀ |\n|---|---|\n"
                  f"| [{pseudo('x')}](u '{pseudo('it')}\\'{pseudo('s')}') | ![{pseudo('y z')}](i.png) |\n\n"
                  f"[logo]: logo.png ({pseudo('Our logo')})\n"
                  f'[site]: https://example.com "{pseudo("Our")} &amp; {pseudo("site")}"\n'),
    ("dash_tables.md", CASES["dash_tables.md"].replace("A simple table", pseudo("A simple table"))
     .replace("After the tables", pseudo("After the tables"))),
    ("pandoc.md", f"&#9;{pseudo('foo bar')}\n\n{pseudo('A')}&nbsp;{pseudo('b')} \\*{pseudo('c')}\\* {pseudo('d')} &amp; "
                  f"{pseudo('e')}\n\n# {pseudo('Title')} {{#my-id .cls}}\n\n{pseudo('Term')}\n\n:   "
                  f"{pseudo('Definition')} *{pseudo('here')}*.\n\n    {pseudo('More of it.')}\n\n::: {{.note}}\n"
                  f"{pseudo('Inside a div.')}\n:::\n\n" + CASES["pandoc.md"].split("\n\n")[-1]
                  .replace("Cell ", pseudo("Cell ")).replace("text ", pseudo("text "))),
    ("crlf.md", f"\ufeff---\r\ntitle: A title\r\n---\r\n\r\n> {pseudo('Some text')},  \r\n"
                f"> {pseudo('after a hard break')}.\r\n"),
])
def test_pseudo_output_keeps_the_markdown_around_the_words(run, name, expected) -> None:
    assert _read(run, "pseudo", f"cases/{name}").decode("utf-8") == expected


def test_text_that_looks_like_markup_is_escaped(run) -> None:
    output = _read(run, "pseudo", "cases/escapes.md").decode()
    assert output.startswith("1\\. ") and "\n\\# " in output and "\n\\* " in output and "\n\\- " in output
    html = _markdown().render(output)
    assert not re.search(r"<(ol|h1|ul|li|em|b|code|a)\b", html)


def test_unreadable_markdown_fails_alone(run) -> None:
    rows = pq.read_table(run["pseudo"] / "manifest.parquet").to_pylist()
    failed = {Path(r["source"]).name: r["error"] for r in rows if r["status"] == "error"}
    assert list(failed) == ["broken.md"] and "binary" in failed["broken.md"]
    assert len(rows) == len(DOCUMENTS) + 1
    assert all(r["n_spans_lost"] == 0 for r in rows if r["status"] == "ok")


_FULL_REFERENCE = re.compile(r"\]\[[^\]]*\]")


def _skeleton(text: str) -> list[str]:
    """Each line with its letters blanked: what a pseudo translation must not change."""
    return _FULL_REFERENCE.sub("]", text.translate(_LETTERS)).split("\n")


@pytest.mark.parametrize("doc", with_corpus(
    [f"corpus/{name}" for name in CORPUS_FILES] + ["cases/pandoc.md", "cases/titles.md", "cases/dash_tables.md"]))
def test_pseudo_changes_only_letters_and_adds_no_escapes(run, doc) -> None:
    """The author's Markdown: no backslash or entity where the text needs none, every line in place."""
    source, output = _read(run, "src", doc).decode(), _read(run, "pseudo", doc).decode()
    assert re.findall(r"\\.|&#?\w+;", output) == re.findall(r"\\.|&#?\w+;", source)
    changed = [(a, b) for a, b in zip(_skeleton(source), _skeleton(output)) if a != b]
    assert not changed and len(_skeleton(source)) == len(_skeleton(output))


def test_grid_table_and_pandoc_syntax_are_kept(run) -> None:
    """Code in a grid table cell is never translated; attributes and div fences stay as written."""
    source, output = _read(run, "src", "cases/pandoc.md").decode(), _read(run, "pseudo", "cases/pandoc.md").decode()
    grid = source[source.index("+---") :]
    assert output.endswith(grid.replace("Cell ", pseudo("Cell ")).replace("text ", pseudo("text ")))
    assert "`code`" in output and "x = 1" in output and "{#my-id .cls}" in output and "::: {.note}" in output


def _translate(text: str, translations: dict[str, str]) -> str:
    """`text` parsed and rendered with the blocks named in `translations` translated so, the others
    as they were; spans keep their place, a span to the end of the text goes to the end of its translation."""
    parsed = markdown.parse(text.encode(), FormatOptions())
    doc = Document("t.md", "t.md", "markdown", parsed.blocks, parsed.skeleton)
    new: list[Block | None] = []
    for block in parsed.blocks:
        text = translations.get(block.text)
        spans = [(s, len(text) if e == len(block.text) else e, r) for s, e, r in block.spans] if text else []
        new.append(Block(text, spans) if text is not None else None)
    return markdown.render(doc, new, "fr").decode()


def _shown(text: str) -> list[tuple]:
    """Each image's and link's target, title and (an image's) alt text, as CommonMark reads them."""
    md = _markdown()
    out = []
    for tok in md.parse(text):
        for child in tok.children or []:
            if child.type in ("image", "link_open"):
                alt = md.renderer.renderInlineAsText(child.children, md.options, {})
                out.append((child.attrs.get("src", child.attrs.get("href")), child.attrs.get("title"), alt))
    return out


def test_alt_texts_and_titles_are_blocks_written_back_valid() -> None:
    """A title in quotes it now holds changes delimiters, or escapes them if it holds all three; a `]`
    that would end an image's text early is escaped, balanced brackets are not."""
    source = (
        '![alt text](a.png "a title") [link](u "t") ![ref alt][r] ![two][]\n\n'
        '[r]: /r.png "def title"\n[two]: /t.png (paren)\n'
    )
    texts = [b.text.strip() for b in markdown.parse(source.encode(), FormatOptions()).blocks]
    assert sorted(texts) == sorted(["link", "alt text", "a title", "t", "ref alt", "two", "def title", "paren"])
    translations = {"alt text": "texte ] [alt", "a title": 'il dit "oui"', "t": "l'été", "ref alt": "[a] b",
                    "two": "deux ]", "def title": "\"l'un\" (x)", "paren": "(p)"}
    output = _translate(source, translations)
    assert output == (
        '![texte \\] \\[alt](a.png \'il dit "oui"\') [link](u "l\'été") ![[a] b][r] ![deux \\]][two]\n\n'
        '[r]: /r.png "\\"l\'un\\" (x)"\n[two]: /t.png "(p)"\n'
    )
    assert _shown(output) == [("a.png", 'il dit "oui"', "texte ] [alt"), ("u", "l'été", ""),
                              ("/r.png", "\"l'un\" (x)", "[a] b"), ("/t.png", "(p)", "deux ]")]


GRID = (
    "+------+--------+\n"
    "| Name | Code   |\n"
    "+:=====+=======:+\n"
    "| one  | `x`    |\n"
    "| two  | ```    |\n"
    "|      | y = 1  |\n"
    "|      | ```    |\n"
    "+------+--------+\n"
)


def test_grid_table_cells_are_translated_and_columns_widened() -> None:
    """A longer translation widens its column in every line, alignment colons kept; code is kept."""
    assert [b.text for b in markdown.parse(GRID.encode(), FormatOptions()).blocks] == ["Name", "Code", "one two"]
    output = _translate(GRID, {"Name": "Nom complet du fichier", "Code": "Code source",
                               "one two": "one two and three more"})
    assert output == (
        "+------------------------+-------------+\n"
        "| Nom complet du fichier | Code source |\n"
        "+:=======================+============:+\n"
        "| one                    | `x`         |\n"
        "| two and three more     | ```         |\n"
        "|                        | y = 1       |\n"
        "|                        | ```         |\n"
        "+------------------------+-------------+\n"
    )
    assert _translate(GRID, {"Name": "N"}) == GRID.replace("| Name |", "| N    |"), "a shorter one is padded"


def test_grid_cells_use_the_documents_reference_definitions() -> None:
    """A reference defined after the table is a link in a cell, whose text is its label."""
    source = "+--------+\n| [docs] |\n+--------+\n\n[docs]: https://d.example\n"
    assert _translate(source, {"docs": "documents"}) == (
        "+-------------------+\n| [documents][docs] |\n+-------------------+\n\n[docs]: https://d.example\n"
    )


def test_simple_and_multiline_tables_are_kept_and_captions_translated() -> None:
    """Their layout is in their text: no cell is read as a paragraph; `Table:` stays a caption."""
    source = CASES["dash_tables.md"]
    texts = [b.text for b in markdown.parse(source.encode(), FormatOptions()).blocks]
    assert texts == ["A simple table.", "After the tables."]
    output = _translate(source, {text: text + " Longer." for text in texts})
    assert output == source.replace("table.", "table. Longer.").replace("tables.", "tables. Longer.")


def test_pipe_table_cells_stay_cells() -> None:
    """A `|` in a translated cell, link title or alt text is escaped; longer text needs no padding."""
    source = '| a | b |\n|---|---|\n| x | ![y](i.png "t") |\n'
    output = _translate(source, {"x": "x | x, longer", "y": "y|y", "t": "t|t"})
    html = _markdown().render(output)
    assert html.count("<td>") == 2 and "<td>x | x, longer</td>" in html
    assert _shown(output) == [("i.png", "t|t", "y|y")]
