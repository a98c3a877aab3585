"""EPUB: the corpus books and hand-built EPUB 2 and 3 books through `babelflow translate`, member by member;
and .xhtml files, whose reading EPUB's content documents share."""

from __future__ import annotations

import html.entities
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import CORPUS, corpus, translate_folder, with_corpus
from lxml import etree
from protected_text import pseudo_or_kept

from babelflow.tasks.engines.pseudo import pseudo

EPUB = sorted((CORPUS / "epub").glob("*.epub"))
XHTML, OPF, DC = "http://www.w3.org/1999/xhtml", "http://www.idpf.org/2007/opf", "http://purl.org/dc/elements/1.1/"
NCX, OPS = "http://www.daisy.org/z3986/2005/ncx/", "http://www.idpf.org/2007/ops"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# What a translation may set: languages and directions.
LANGUAGE = {XML_LANG, "lang", "dir", "page-progression-direction"}
# Text kept as it is in any document: code, scripts, styles; and names in the package document and NCX.
KEPT = {f"{{{XHTML}}}{n}" for n in "code kbd pre samp script style tt var".split()} | {
    f"{{{DC}}}{n}" for n in ("creator", "contributor", "publisher", "identifier", "date", "language")} | {
    f"{{{NCX}}}docAuthor"}
TRANSLATED_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder"}
RUNS = re.compile(r"\s+")
XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}

CONTAINER = ('<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
             '<rootfiles><rootfile full-path="OPS/package.opf" media-type="application/oebps-package+xml"/></rootfiles>'
             '</container>')
XHTML11 = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" '
           '"http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd">\n')


XML_DECLARATION = "<?xml version='1.0' encoding='utf-8'?>\n"


def page(body: str, head: str = "<title>A chapter</title>", doctype: str = XML_DECLARATION) -> str:
    return (f'{doctype}<html xmlns="{XHTML}" xmlns:epub="{OPS}" lang="en" xml:lang="en"><head>{head}</head>\n'
            f'<body>{body}</body></html>')


CHAPTER = page(
    '<h1 epub:type="title">The first chapter</h1>\n'
    '<p>Hello <em>brave</em> new world, see <a href="chapter2.xhtml#end">the end</a>.</p>\n'
    '<p><img src="cat.png" alt="A sleeping cat"/> The cat sleeps<a id="note1"></a>.</p>\n'
    '<p style="text-align: left">Run <code>make all</code> first.</p>\n'
    '<div><span></span></div>\n'
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><title>A red square</title></svg>')
CHAPTER2 = page('<p id="end">The story ends&nbsp;here.</p>\n<p dir="ltr" lang="en">Goodbye now.</p>')
CSS = "body { direction: ltr; text-align: left; }\nol { display: flex; flex-direction: row; text-align: center; }\n"
NAV = page('<nav epub:type="toc" id="toc"><h1>Contents</h1><ol><li><a href="chapter1.xhtml">The first chapter</a>'
           '</li><li><a href="chapter2.xhtml">The second chapter</a></li></ol></nav>', "<title>Contents</title>")


def opf(version: str, items: str, spine: str, language: str = "<dc:language>en</dc:language>") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<package xmlns="{OPF}" version="{version}" xml:lang="en" '
            f'unique-identifier="id"><metadata xmlns:dc="{DC}"><dc:title>A short book</dc:title>'
            f'<dc:creator>Jane Writer</dc:creator><dc:description>A book about cats.</dc:description>'
            f'{language}<dc:identifier id="id">urn:uuid:1234</dc:identifier></metadata>'
            f'<manifest>{items}</manifest>{spine}</package>')


def build_epub(path: Path, members: dict[str, str | bytes], mimetype: bytes = b"application/epub+zip") -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), mimetype)  # first and stored
        z.writestr("META-INF/container.xml", CONTAINER, zipfile.ZIP_DEFLATED)
        for name, data in members.items():
            z.writestr(name, data, zipfile.ZIP_DEFLATED)
    return path


def build_epub3(path: Path, **changes: str) -> Path:
    items = ('<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
             '<item id="c1" href="chapter1.xhtml" media-type="application/xhtml+xml"/>'
             '<item id="c2" href="chapter2.xhtml" media-type="application/xhtml+xml"/>'
             '<item id="cat" href="cat.png" media-type="image/png"/>'
             '<item id="css" href="book.css" media-type="text/css"/>'
             '<item id="plain" href="plain.xhtml" media-type="application/xhtml+xml"/>')
    members = {"OPS/package.opf": opf("3.0", items, '<spine><itemref idref="c1"/><itemref idref="c2"/></spine>'),
               "OPS/nav.xhtml": NAV, "OPS/chapter1.xhtml": CHAPTER, "OPS/chapter2.xhtml": CHAPTER2,
               "OPS/cat.png": b"\x89PNG\r\n\x1a\n not a real picture", "OPS/book.css": CSS,
               "OPS/plain.xhtml": "<html><body><p>A page that forgot its namespace.</p></body></html>"}
    return build_epub(path, {**members, **changes})


def build_epub2(path: Path) -> Path:
    """EPUB 2: XHTML 1.1 with its doctype and the entities it declares, an NCX, no dc:language."""
    items = ('<item id="c1" href="text/one.xhtml" media-type="application/xhtml+xml"/>'
             '<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>')
    ncx = (f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE ncx PUBLIC "-//NISO//DTD ncx 2005-1//EN" '
           f'"http://www.daisy.org/z3986/2005/ncx-2005-1.dtd">\n<ncx xmlns="{NCX}" version="2005-1" xml:lang="en">'
           '<head><meta name="dtb:uid" content="urn:uuid:1234"/></head><docTitle><text>A short book</text></docTitle>'
           '<docAuthor><text>Jane Writer</text></docAuthor><navMap><navPoint id="p1" playOrder="1"><navLabel>'
           '<text>Chapter one</text></navLabel><content src="text/one.xhtml"/></navPoint></navMap></ncx>')
    one = page("<p>Five&nbsp;cats &amp; two&#160;dogs &mdash; all asleep.</p>", doctype=XHTML11).replace(' lang="en"', "")
    return build_epub(path, {"OPS/package.opf": opf("2.0", items, '<spine toc="ncx"><itemref idref="c1"/></spine>', ""),
                             "OPS/toc.ncx": ncx, "OPS/text/one.xhtml": one})


def bad_books(folder: Path) -> dict[str, str]:
    """Books that must fail alone, each with what its error must say."""
    items = '<item id="c1" href="chapter1.xhtml" media-type="application/xhtml+xml"/>'
    spine = '<spine><itemref idref="c1"/></spine>'
    encryption = ('<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
                  'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:EncryptionMethod '
                  'Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/><enc:CipherData><enc:CipherReference '
                  'URI="OPS/chapter1.xhtml"/></enc:CipherData></enc:EncryptedData></encryption>')
    book = {"OPS/package.opf": opf("3.0", items, spine)}
    build_epub(folder / "drm.epub", {**book, "OPS/chapter1.xhtml": b"\x8f\x01 ciphertext",
                                     "META-INF/encryption.xml": encryption})
    build_epub(folder / "broken.epub", {**book, "OPS/chapter1.xhtml": page("<p>Unclosed</div>")})
    build_epub(folder / "entity.epub", {**book, "OPS/chapter1.xhtml": page("<p>A &madeup; entity.</p>", doctype=XHTML11)})
    build_epub(folder / "laughs.epub", {**book, "OPS/chapter1.xhtml": '<?xml version="1.0"?><!DOCTYPE html '
               '[<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><html xmlns="http://www.w3.org/1999/xhtml">'
               '<body><p>&b;</p></body></html>'})
    build_epub(folder / "not-epub.epub", book, mimetype=b"application/vnd.oasis.opendocument.text")
    return {"drm.epub": "DRM", "broken.epub": "OPS/chapter1.xhtml: XML does not parse",
            "entity.epub": "OPS/chapter1.xhtml: undefined entity &madeup;", "laughs.epub": "has a DTD",
            "not-epub.epub": "not an EPUB"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, prefect_api) -> dict:
    """The corpus and the built books, translated with identity into French and pseudo into French and
    Arabic, the bad books beside them in the pseudo run."""
    root = tmp_path_factory.mktemp("epub")
    good, mixed = root / "good", root / "mixed"
    good.mkdir()
    build_epub3(good / "built3.epub")
    build_epub2(good / "built2.epub")
    (good / "page.xhtml").write_text(PAGE)
    (good / "sloppy.xhtml").write_text(SLOPPY)
    for path in EPUB:
        shutil.copy(path, good / path.name)
    shutil.copytree(good, mixed)
    bad = bad_books(mixed)
    rows = translate_folder(good, root / "identity", "identity")
    assert [(r["status"], r["error"]) for r in rows if r["status"] != "ok"] == []
    pseudo_rows = translate_folder(mixed, root / "pseudo", "pseudo", to="fr,ar")
    return {"source": good, "identity": root / "identity" / "fr", "pseudo": root / "pseudo" / "fr",
            "pseudo-ar": root / "pseudo" / "ar", "pseudo_rows": pseudo_rows, "bad": bad}


PAGE = page('<p>Five&nbsp;cats<br/>and <a id="x"></a>a dog.</p>', doctype=XHTML11)
SLOPPY = "<html><body><p>Not XML at all<br><p>Another paragraph</body></html>"
BOOKS = [*with_corpus([pytest.param(p.name, id=p.name) for p in EPUB]), "built3.epub", "built2.epub"]


def read(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def is_xml(name: str) -> bool:
    return name.endswith((".xhtml", ".opf", ".ncx", ".xml"))


def kept(el) -> bool:
    return any(a.tag in KEPT for a in (el, *el.iterancestors()))


def translatable(el, member: str) -> bool:
    """Whether the element's own text is text a reader sees: a content document's, the package's titles,
    descriptions and subjects, the NCX's labels."""
    if kept(el) or el.tag == f"{{{OPF}}}meta":
        return False
    if member.endswith(".xhtml"):  # a document that forgot its namespace is read all the same
        return el.tag.startswith((f"{{{XHTML}}}", "{http://www.w3.org/2000/svg}title")) or "{" not in el.tag
    return (
        el.tag in (f"{{{DC}}}title", f"{{{DC}}}description", f"{{{DC}}}subject", f"{{{NCX}}}text"))


def check_book(name: str, source: Path, output: Path, pseudo_run: bool) -> None:
    """Every member in its place with its compression, mimetype first and stored; XML members with the same
    tree and attributes (languages and directions aside); text a reader sees as the engine makes it (runs of
    white space as one: they render so), everything else as it was, other members byte for byte."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(output) as zout:
        assert [(i.filename, i.compress_type) for i in zout.infolist()] == \
               [(i.filename, i.compress_type) for i in zin.infolist()]
        assert zout.infolist()[0].filename == "mimetype" and zout.infolist()[0].compress_type == zipfile.ZIP_STORED
    before, after = read(source), read(output)
    for member, data in before.items():
        if member.endswith(".css"):
            assert directionless(after[member].decode()) == directionless(data.decode()), f"{name}: {member} changed"
            continue
        if not is_xml(member):
            assert after[member] == data, f"{name}: {member} changed"
            continue
        parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)
        old, new = etree.fromstring(characters(data), parser), etree.fromstring(after[member], parser)
        # dc:language is the target's, added where there was none.
        old_nodes = [n for n in old.iter() if n.tag != f"{{{DC}}}language"]
        new_nodes = [n for n in new.iter() if n.tag != f"{{{DC}}}language"]
        assert [n.tag for n in new_nodes] == [n.tag for n in old_nodes], member
        for a, b in zip(old_nodes, new_nodes):
            where = f"{name}: {member}: {old.getroottree().getpath(a) if isinstance(a.tag, str) else a.tag}"
            assert {k: directionless(v) for k, v in a.attrib.items() if k not in LANGUAGE | TRANSLATED_ATTRIBUTES} == \
                   {k: directionless(v) for k, v in b.attrib.items() if k not in LANGUAGE | TRANSLATED_ATTRIBUTES}, where
            for key in TRANSLATED_ATTRIBUTES & set(a.attrib):
                shown = pseudo_run and not kept(a) and a.tag.startswith(f"{{{XHTML}}}")
                expect_text(a.get(key), b.get(key), shown, where + f"/@{key}")
            if isinstance(a.tag, str):
                expect_text(a.text, b.text, pseudo_run and translatable(a, member), where + "/text()")
            parent = a.getparent()
            expect_text(a.tail, b.tail, pseudo_run and parent is not None and translatable(parent, member), where + "/tail")


def directionless(css: str) -> str:
    """CSS less the values a change of direction turns."""
    return re.sub(r"(?<![-\w])(direction|text-align)\s*:\s*(ltr|rtl|left|right)", r"\1", css)


def characters(data: bytes) -> bytes:
    """The document with its named HTML entities written as characters, as a translation writes them."""
    def char(m: re.Match) -> bytes:
        name = m[1].decode()
        return m[0] if name in XML_ENTITIES else html.entities.html5[name + ";"].encode()
    return re.sub(rb"&([A-Za-z][A-Za-z0-9]*);", char, data)


def expect_text(old: str | None, new: str | None, translated: bool, where: str) -> None:
    old, new = RUNS.sub(" ", old or ""), RUNS.sub(" ", new or "")
    if translated:
        assert pseudo_or_kept(old, new), f"{where}: {old!r} became {new!r}"
    else:
        assert new == old, f"{where}: {old!r} became {new!r}"


@pytest.mark.parametrize("name", BOOKS)
def test_identity_gives_every_member_back(runs, name) -> None:
    check_book(name, runs["source"] / name, runs["identity"] / name, pseudo_run=False)


@pytest.mark.parametrize("name", BOOKS)
def test_pseudo_translates_every_letter_and_nothing_else(runs, name) -> None:
    check_book(name, runs["source"] / name, runs["pseudo"] / name, pseudo_run=True)
    check_book(name, runs["source"] / name, runs["pseudo-ar"] / name, pseudo_run=True)


def member(path: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read(name))


def test_languages_and_directions(runs) -> None:
    for lang, rtl in (("fr", False), ("ar", True)):
        book = runs["source"].parent / "pseudo" / lang / "built3.epub"
        package = member(book, "OPS/package.opf")
        assert package.findtext(f"{{{OPF}}}metadata/{{{DC}}}language") == lang and package.get(XML_LANG) == lang
        spine = package.find(f"{{{OPF}}}spine")
        assert spine.get("page-progression-direction") == ("rtl" if rtl else None)  # ltr into ltr: as it was
        for name in ("OPS/nav.xhtml", "OPS/chapter1.xhtml", "OPS/chapter2.xhtml"):
            html = member(book, name)
            assert (html.get(XML_LANG), html.get("lang"), html.get("dir")) == (lang, lang, "rtl" if rtl else None)
        bye = member(book, "OPS/chapter2.xhtml").find(f".//{{{XHTML}}}p[@dir]")
        assert (bye.get("dir"), bye.get("lang")) == ("rtl" if rtl else "ltr", lang)
    css = {lang: (runs["source"].parent / "pseudo" / lang / "built3.epub") for lang in ("fr", "ar")}
    with zipfile.ZipFile(css["fr"]) as fr, zipfile.ZipFile(css["ar"]) as ar:
        assert fr.read("OPS/book.css").decode() == CSS  # ltr into ltr: as it was
        assert ar.read("OPS/book.css").decode() == CSS.replace("direction: ltr; text-align: left", "direction: rtl; "
                                                               "text-align: right")
        chapter = etree.fromstring(ar.read("OPS/chapter1.xhtml"))
        assert chapter.find(f".//{{{XHTML}}}p[@style]").get("style") == "text-align: right"
    epub2 = runs["pseudo-ar"] / "built2.epub"
    package = member(epub2, "OPS/package.opf")
    assert package.findtext(f"{{{OPF}}}metadata/{{{DC}}}language") == "ar"  # added: the book had none
    assert "page-progression-direction" not in package.find(f"{{{OPF}}}spine").attrib  # not EPUB 2's
    assert member(epub2, "OPS/toc.ncx").get(XML_LANG) == "ar"
    one = member(epub2, "OPS/text/one.xhtml")
    assert (one.get(XML_LANG), one.get("lang"), one.get("dir")) == ("ar", None, "rtl")  # XHTML 1.1 has no lang


def test_what_a_reader_meets(runs) -> None:
    """Titles, the table of contents, alt text and SVG titles translated; names, code and links kept;
    entities come out as characters; empty elements stay open and close for readers that parse HTML."""
    book = runs["pseudo"] / "built3.epub"
    package = member(book, "OPS/package.opf")
    assert package.findtext(f"{{{OPF}}}metadata/{{{DC}}}creator") == "Jane Writer"
    assert package.findtext(f"{{{OPF}}}metadata/{{{DC}}}title") != "A short book"
    with zipfile.ZipFile(book) as z:
        chapter = z.read("OPS/chapter1.xhtml").decode()
    assert "<code>make all</code>" in chapter and 'href="chapter2.xhtml#end"' in chapter
    assert '<a id="note1"></a>' in chapter and "<span></span>" in chapter and "<a id=\"note1\"/>" not in chapter
    assert "A sleeping cat" not in chapter and "A red square" not in chapter
    nav = member(book, "OPS/nav.xhtml")
    assert [a.text for a in nav.iter(f"{{{XHTML}}}a")] == [pseudo("The first chapter"), pseudo("The second chapter")]
    with zipfile.ZipFile(runs["pseudo"] / "built2.epub") as z:
        one = z.read("OPS/text/one.xhtml").decode()
        ncx = member(runs["pseudo"] / "built2.epub", "OPS/toc.ncx")
    assert "\u00a0" in one and "&nbsp;" not in one and "&amp;" in one
    with zipfile.ZipFile(book) as z:  # an EPUB 3 document may use &nbsp; too, though it names no DTD
        assert "\u00a0" in z.read("OPS/chapter2.xhtml").decode()
    assert [t.text for t in ncx.iter(f"{{{NCX}}}text")] == [pseudo("A short book"), "Jane Writer", pseudo("Chapter one")]


def test_xhtml_files_stay_xml(runs) -> None:
    """A .xhtml file is written back as XML, its doctype and void elements as they were; one that is not
    XML is read as a browser reads it, as HTML."""
    for lang in ("fr", "ar"):
        out = (runs["source"].parent / "pseudo" / lang / "page.xhtml").read_text()
        assert out.startswith("<?xml") and '"http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd">' in out
        root = etree.fromstring(out.encode())
        assert root.get(XML_LANG) == lang and root.get("dir") == ("rtl" if lang == "ar" else None)
        assert "<br/>" in out and '<a id="x"></a>' in out and "\u00a0" in out
        assert "".join(root.itertext()).count("a") == 0  # every letter translated
        sloppy = (runs["source"].parent / "pseudo" / lang / "sloppy.xhtml").read_text()
        assert pseudo("Another paragraph") in sloppy and f'lang="{lang}"' in sloppy
    identity = (runs["identity"] / "page.xhtml").read_text()  # byte for byte but the language and &nbsp;
    assert identity.split("?>", 1)[1] == PAGE.split("?>", 1)[1].replace(
        'lang="en" xml:lang="en"', 'lang="fr" xml:lang="fr"').replace("&nbsp;", "\u00a0")


def test_bad_books_fail_alone(runs) -> None:
    rows = {(r["source"].rsplit("/", 1)[-1], r["tgt_lang"]): r for r in runs["pseudo_rows"]}
    for name, says in runs["bad"].items():
        for lang in ("fr_XX", "ar_AR"):
            row = rows[name, lang]
            assert row["status"] != "ok" and says in row["error"], (name, row["error"])
    good = [r for r in runs["pseudo_rows"] if r["source"].rsplit("/", 1)[-1] not in runs["bad"]]
    assert good and all(r["status"] == "ok" for r in good)


def test_corpus_is_there() -> None:
    assert corpus("epub").is_dir() and EPUB
