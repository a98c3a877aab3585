"""HTML end to end: real web pages and small cases through `babelflow translate`, identity and pseudo engines."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import lxml.html
import pyarrow.parquet as pq
import pytest
from conftest import CORPUS, corpus, with_corpus

from babelflow.tasks.engines.pseudo import pseudo

PAGES = CORPUS / "html"
FILES = sorted(p.name for p in PAGES.glob("*") if p.suffix in (".html", ".htm"))  # none without the corpus
LANGS = ("fr", "ar")

# Never translated: the list, plus the elements whose content HTML reads as raw text.
VERBATIM = {"script", "style", "code", "pre", "kbd", "samp", "var", "svg", "math", "template", "textarea",
            "iframe", "xmp", "listing", "plaintext", "noembed", "noframes"}
TRANSLATED = {"alt", "title", "placeholder", "aria-label"}
META = {"description", "title", "og:title", "og:description", "twitter:title", "twitter:description"}
SPACE = " \t\n\r\f"
DOCTYPE = re.compile(r"(?:\s|<!--.*?-->)*(<!doctype[^>]*>)", re.IGNORECASE | re.DOTALL)

CASES = {
    "sentence.html": '<p>Hello <b class="x">bold <i>world</i></b> and <a href="x">link</a>.</p>',
    "code.html": "<p>Run <code>make test</code> now.</p>",
    "notranslate.html": (
        '<p>Use <span translate="no">FooBar Pro</span> daily.</p>\n<div translate="no"><p>Keep this text</p></div>\n'
        '<p class="lead notranslate">Also kept</p>'
    ),
    "attributes.html": (
        '<!DOCTYPE html>\n<html lang="en"><head><title>Page title</title>\n'
        '<meta name="description" content="A short description">\n<meta property="og:title" content="Social title">\n'
        '<meta name="keywords" content="kept,as,is"></head>\n<body><img src="cat.png" alt="A cat">\n'
        '<input name="q" placeholder="Search here">\n<button aria-label="Close dialog">x</button>\n'
        '<a href="/home" title="Go home">Home</a>\n<code title="Not this">x</code></body></html>'
    ),
    "lines.html": "<div>\n  First line<br>second\n  line\n</div>",
    "objects.html": (
        '<li><img src="dot.png"> <a href="/a"><img src="a.png" alt="Logo"> Home page</a> and <img src="b.png"> more.'
    ),
}
LATIN1 = '<html><head><meta charset="iso-8859-1"></head><body><p>Café “naïve” déjà vu.</p></body></html>'


def parse(data: bytes):
    return lxml.html.document_fromstring(data, parser=lxml.html.HTMLParser(encoding="utf-8", huge_tree=True))


def frozen(el) -> bool:
    return (el.tag in VERBATIM or el.get("translate", "").strip().lower() == "no"
            or "notranslate" in el.get("class", "").split())


def translated_attribute(el, name: str) -> bool:
    kind = (el.get("name") or el.get("property") or "").strip().lower()
    return name in TRANSLATED or (el.tag == "meta" and name == "content" and kind in META)


def canonical(root, change=lambda s: s) -> list:
    """The tree as a token stream, translatable text and attributes passed through `change`.

    Allowed to differ: <html> lang/dir, the charset declaration, an added <head>, and whitespace between
    words of translated text (a run of it, across tags, counts as one space; <br> counts as one).
    """
    stream: list = []

    def text(s: str | None, fz: bool) -> None:
        if s:
            stream.append(("raw", s)) if fz else stream.extend(change(s))

    def visit(node, fz: bool) -> None:
        if not isinstance(node.tag, str):
            stream.append(("comment", node.text))
            return
        fz = fz or frozen(node)
        attrs = tuple(sorted(
            (k, change(v) if not fz and translated_attribute(node, k) else v) for k, v in node.attrib.items()
            if not (node.tag == "html" and k in ("lang", "dir", "xml:lang"))
        ))
        charset = node.tag == "meta" and (
            "charset" in node.attrib or node.get("http-equiv", "").lower() == "content-type"
        )
        marked = node.tag != "head" and not charset
        if marked:
            stream.append(("<", node.tag, attrs))
        if node.tag == "br":
            stream.append(" ")
        text(node.text, fz)
        for child in node:
            visit(child, fz)
            text(child.tail, fz)
        if marked:
            stream.append(("/", node.tag))

    visit(root, False)
    out: list = []
    space, markers = False, []
    for tok in [*stream, ("end",)]:
        if isinstance(tok, str) and tok in SPACE:
            space = True
        elif tok[0] in ("<", "/", "comment"):
            markers.append(tok)
        else:
            out.extend([" "] if space else [])
            out.extend([*markers, tok])
            space, markers = False, []
    return out


def translatable_texts(root) -> list[str]:
    """Text nodes and translated attribute values outside never-translated elements."""
    found: list[str] = []

    def visit(el) -> None:
        if not isinstance(el.tag, str) or frozen(el):
            return
        found.extend(v for k, v in el.attrib.items() if translated_attribute(el, k))
        found.append(el.text or "")
        for child in el:
            visit(child)
            found.append(child.tail or "")

    visit(root)
    return found


def assert_same(expected: list, actual: list) -> None:
    if expected != actual:
        at = next((i for i, (a, b) in enumerate(zip(expected, actual)) if a != b), min(len(expected), len(actual)))
        pytest.fail(f"first difference at token {at}: {expected[at - 5:at + 10]} != {actual[at - 5:at + 10]}")


def translate(src: Path, dest: Path, engine: str, to: str) -> None:
    """The CLI in this process (the `cli` fixture is per test; these runs are shared by a module)."""
    from babelflow.cli import main

    assert main(["translate", str(src), "--to", to, "--from", "en", "--out", str(dest), "--engine", engine]) == 0


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    corpus()  # skips here without the corpus (fails in CI)
    assert FILES, f"no HTML pages in {PAGES}"
    src = tmp_path_factory.mktemp("pages")
    for name in FILES:
        shutil.copy(PAGES / name, src / name)
    runs = {"src": src}
    for engine in ("identity", "pseudo"):
        runs[engine] = tmp_path_factory.mktemp(engine)
        translate(src, runs[engine], engine, ",".join(LANGS))
    return runs


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> dict[str, Path]:
    src = tmp_path_factory.mktemp("cases")
    for name, text in CASES.items():
        (src / name).write_text(text, encoding="utf-8")
    (src / "latin1.html").write_bytes(LATIN1.encode("cp1252"))
    runs = {"src": src}
    for engine in ("identity", "pseudo"):
        runs[engine] = tmp_path_factory.mktemp(engine)
        translate(src, runs[engine], engine, "fr")
    return runs


def test_every_page_is_translated_without_losing_markup(pages) -> None:
    for engine in ("identity", "pseudo"):
        rows = pq.read_table(pages[engine] / "manifest.parquet").to_pylist()
        assert len(rows) == len(FILES) * len(LANGS)
        assert {r["status"] for r in rows} == {"ok"}, [r["error"] for r in rows if r["error"]]
        assert sum(r["n_spans_lost"] for r in rows) == 0
        assert all(r["n_segments"] > 0 for r in rows)


@pytest.mark.parametrize("name", with_corpus(FILES))
def test_identity_gives_the_same_tree(pages, name) -> None:
    source = (pages["src"] / name).read_bytes()
    expected = canonical(parse(source))
    doctype = DOCTYPE.match(source.decode("utf-8"))
    for lang in LANGS:
        output = (pages["identity"] / lang / name).read_bytes()
        text = output.decode("utf-8")
        assert text.startswith(doctype.group(1)) if doctype else "<!doctype" not in text[:200].lower()
        root = parse(output)
        assert_same(expected, canonical(root))
        assert root.get("lang") == lang
        head = root.find("head")
        assert head is not None and any(
            m.get("charset", "").lower() == "utf-8" or "charset=utf-8" in m.get("content", "").lower()
            for m in head.findall("meta")
        )


@pytest.mark.parametrize("name", with_corpus(FILES))
def test_pseudo_changes_every_letter_of_translatable_text_and_nothing_else(pages, name) -> None:
    source_root = parse((pages["src"] / name).read_bytes())
    expected = canonical(source_root, pseudo)
    for lang in LANGS:
        root = parse((pages["pseudo"] / lang / name).read_bytes())
        assert_same(expected, canonical(root))
        leftover = [t for t in translatable_texts(root) if re.search("[A-Za-z]", t)]
        assert not leftover, leftover[:5]
        assert root.get("lang") == lang
        source_dir = (source_root.get("dir") or "").lower()
        assert root.get("dir") == ("rtl" if lang == "ar" else "ltr" if source_dir == "rtl" else source_root.get("dir"))
    assert any(re.search("[A-Za-z]", t) for t in translatable_texts(source_root)), "the page has text to translate"


def test_a_sentence_across_inline_elements_is_one_segment(cases) -> None:
    rows = [r for r in pq.read_table(cases["pseudo"] / "segments").to_pylist() if r["source"].endswith("sentence.html")]
    assert [r["source_text"] for r in rows] == ["Hello bold world and link."]
    out = (cases["pseudo"] / "fr" / "sentence.html").read_text("utf-8")
    p = pseudo
    assert (f'<p>{p("Hello ")}<b class="x">{p("bold ")}<i>{p("world")}</i></b>{p(" and ")}'
            f'<a href="x">{p("link")}</a>.</p>') in out
    assert CASES["sentence.html"] in (cases["identity"] / "fr" / "sentence.html").read_text("utf-8")


def test_inline_code_and_no_translate_content_are_kept(cases) -> None:
    out = (cases["pseudo"] / "fr" / "code.html").read_text("utf-8")
    assert f'<p>{pseudo("Run ")}<code>make test</code>{pseudo(" now.")}</p>' in out
    out = (cases["pseudo"] / "fr" / "notranslate.html").read_text("utf-8")
    assert f'<p>{pseudo("Use ")}<span translate="no">FooBar Pro</span>{pseudo(" daily.")}</p>' in out
    assert '<div translate="no"><p>Keep this text</p></div>' in out
    assert '<p class="lead notranslate">Also kept</p>' in out


def test_attributes_titles_and_descriptions_are_translated(cases) -> None:
    root = parse((cases["pseudo"] / "fr" / "attributes.html").read_bytes())
    assert root.findtext("head/title") == pseudo("Page title")
    metas = {m.get("name") or m.get("property"): m.get("content") for m in root.iter("meta") if "content" in m.attrib}
    assert metas == {"description": pseudo("A short description"), "og:title": pseudo("Social title"),
                     "keywords": "kept,as,is"}
    img, field, button, link, code = (root.find(f".//{tag}") for tag in ("img", "input", "button", "a", "code"))
    assert (img.get("alt"), img.get("src")) == (pseudo("A cat"), "cat.png")
    assert (field.get("placeholder"), field.get("name")) == (pseudo("Search here"), "q")
    assert button.get("aria-label") == pseudo("Close dialog")
    assert (link.get("title"), link.get("href"), link.text) == (pseudo("Go home"), "/home", pseudo("Home"))
    assert code.get("title") == "Not this"
    assert root.get("lang") == "fr"


def test_line_breaks_and_source_whitespace(cases) -> None:
    rows = [r for r in pq.read_table(cases["identity"] / "segments").to_pylist() if r["source"].endswith("lines.html")]
    assert [r["source_text"] for r in rows] == ["First line\nsecond line"], "a <br> reads as a line break"
    out = (cases["pseudo"] / "fr" / "lines.html").read_text("utf-8")
    assert f"<div>\n  {pseudo('First line')}<br />{pseudo('second line')}\n</div>" in out


def test_inline_objects_stay_inside_their_elements_and_at_the_edges(cases) -> None:
    out = (cases["pseudo"] / "fr" / "objects.html").read_text("utf-8")
    p = pseudo
    assert (f'<li><img src="dot.png" /> <a href="/a"><img src="a.png" alt="{p("Logo")}" /> {p("Home page")}</a>'
            f'{p(" and ")}<img src="b.png" />{p(" more.")}</li>') in out


def test_declared_legacy_encoding_is_read_and_written_as_utf8(cases) -> None:
    out = (cases["identity"] / "fr" / "latin1.html").read_bytes().decode("utf-8")
    assert "<p>Café “naïve” déjà vu.</p>" in out
    assert '<meta charset="utf-8" />' in out and "iso-8859-1" not in out


def test_what_is_not_html_fails_alone(tmp_path, cli) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "empty.html").write_bytes(b"")
    (src / "image.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50)
    (src / "ok.htm").write_text("<p>Fine.</p>")
    code, _, _ = cli("translate", src, "--to", "fr", "--from", "en", "--out", tmp_path / "out", "--engine", "pseudo")
    assert code == 1
    rows = {Path(r["source"]).name: r for r in pq.read_table(tmp_path / "out" / "manifest.parquet").to_pylist()}
    assert rows["ok.htm"]["status"] == "ok"
    assert rows["empty.html"]["status"] == "error" and "empty" in rows["empty.html"]["error"]
    assert rows["image.html"]["status"] == "error" and "binary" in rows["image.html"]["error"]
