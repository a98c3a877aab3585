"""ODT: every corpus document and a hand-built one through `babelflow translate`, checked member by member."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import CORPUS, with_corpus
from lxml import etree
from protected_text import pseudo_or_kept

from babelflow.tasks.engines.pseudo import pseudo

ODT = sorted((CORPUS / "odt").glob("*.odt"))
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
FO = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
SVG = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
DC, META = "http://purl.org/dc/elements/1.1/", "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
NS = {"office": OFFICE, "text": TEXT, "style": STYLE, "fo": FO, "svg": SVG, "dc": DC, "meta": META,
      "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"}


def t(name: str) -> str:
    return f"{{{TEXT}}}{name}"


def s(name: str) -> str:
    return f"{{{STYLE}}}{name}"


PARAGRAPHS = {t("p"), t("h")}
WRAPPERS = {t("span"), t("a"), t("meta")}
# Texts outside paragraphs that are translated: element texts and attributes.
TEXTS = {f"{{{SVG}}}title", f"{{{SVG}}}desc", t("index-title-template"), f"{{{DC}}}title", f"{{{DC}}}subject",
         f"{{{DC}}}description", f"{{{META}}}keyword"}
ATTRIBUTES = {t("hidden-text"): {t("string-value")},
              t("conditional-text"): {t("string-value-if-true"), t("string-value-if-false")},
              t("toc-mark"): {t("string-value")}, t("user-index-mark"): {t("string-value")},
              t("alphabetical-index-mark"): {t("string-value"), t("key1"), t("key2")},
              t("a"): {f"{{{OFFICE}}}title"}}
FIELDS = {t("hidden-text"), t("conditional-text")}  # their text is their value, translated with it
# What translation may set in styles: the language of each script class...
LANGUAGE = {f"{{{FO}}}language", f"{{{FO}}}country", f"{{{FO}}}script", s("rfc-language-tag")} | {
    s(f"{kind}-{cls}") for kind in ("language", "country", "script", "rfc-language-tag")
    for cls in ("asian", "complex")}
# ... and into a right-to-left language, the direction and the complex-script twins of bold, italic and size.
RTL = LANGUAGE | {s("writing-mode")} | {s(f"font-{p}-complex") for p in ("weight", "style", "size")}


def run_cli(src: Path, dest: Path, engine: str, to: str) -> tuple[int, list[dict]]:
    from babelflow.cli import main

    code = main(["translate", str(src), "--to", to, "--from", "en", "--out", str(dest), "--engine", engine])
    return code, pq.read_table(dest / "manifest.parquet").to_pylist()


# --- a hand-built document with every construct the format translates or keeps ------------------------

ROOT = (f'xmlns:office="{OFFICE}" xmlns:style="{STYLE}" xmlns:text="{TEXT}" xmlns:fo="{FO}" xmlns:svg="{SVG}" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'xmlns:dc="{DC}" xmlns:meta="{META}" '
        'xmlns:ooow="http://openoffice.org/2004/writer" office:version="1.3"')
CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<office:document-content {ROOT}><office:automatic-styles>\n'
    '<style:style style:name="T1" style:family="text"><style:text-properties fo:font-weight="bold"/>'
    '</style:style>\n'
    '<style:style style:name="T2" style:family="text">'
    '<style:text-properties fo:font-style="italic" fo:language="en" fo:country="GB"/></style:style>\n'
    '<style:style style:name="P1" style:family="paragraph" style:parent-style-name="Standard">'
    '<style:paragraph-properties style:writing-mode="lr-tb"/></style:style>\n'
    '</office:automatic-styles><office:body><office:text>\n'
    '<text:tracked-changes><text:changed-region xml:id="ct1" text:id="ct1"><text:insertion>'
    '<office:change-info><dc:creator>Ann Author</dc:creator><dc:date>2024-01-01T00:00:00</dc:date>'
    '</office:change-info></text:insertion></text:changed-region>'
    '<text:changed-region xml:id="ct2" text:id="ct2"><text:deletion><office:change-info>'
    '<dc:creator>Ann Author</dc:creator><dc:date>2024-01-01T00:00:00</dc:date></office:change-info>'
    '<text:p>Deleted words stay as they were.</text:p></text:deletion></text:changed-region>'
    '</text:tracked-changes>\n'
    '<text:table-of-content text:name="Table of Contents1">'
    '<text:table-of-content-source text:outline-level="1">'
    '<text:index-title-template text:style-name="Contents_20_Heading">Table of '
    'Contents</text:index-title-template>'
    '</text:table-of-content-source><text:index-body>'
    '<text:index-title text:name="Table of Contents1_Head">'
    '<text:p text:style-name="Contents_20_Heading">Table of Contents</text:p></text:index-title>'
    '<text:p text:style-name="Contents_20_1">'
    '<text:a xlink:type="simple" xlink:href="#__RefHeading___Toc1_1" '
    'text:style-name="Index_20_Link">Introduction<text:tab/>1</text:a>'
    '</text:p></text:index-body></text:table-of-content>\n'
    '<text:h text:style-name="Heading_20_1" text:outline-level="1">'
    '<text:bookmark-start text:name="__RefHeading___Toc1_1"/>Introduction<text:bookmark-end '
    'text:name="__RefHeading___Toc1_1"/>'
    '</text:h>\n'
    '<text:p text:style-name="P1">The quick <text:span text:style-name="T1">brown fox</text:span> jumps over '
    'the <text:meta xml:id="m1">lazy dog</text:meta>.</text:p>\n'
    '<text:p text:style-name="Standard">Visit <text:a xlink:type="simple" xlink:href="https://example.com/" '
    'office:title="Our home page" text:style-name="Internet_20_link">our website</text:a> for '
    'more.</text:p>\n'
    '<text:p text:style-name="Standard">See the note<text:note text:id="ftn1" text:note-class="footnote">'
    '<text:note-citation>1</text:note-citation><text:note-body>'
    '<text:p text:style-name="Footnote">A footnote about foxes.</text:p></text:note-body>'
    '</text:note> here.</text:p>\n'
    '<text:p text:style-name="Standard">Two <text:s/>spaces, three <text:s text:c="2"/>spaces,<text:tab/>a '
    'tab<text:line-break/>and a new line. <text:soft-page-break/>Next page.</text:p>\n'
    '<text:p text:style-name="Standard"><text:s text:c="4"/>Indented code line</text:p>\n'
    '<text:p text:style-name="Standard">Page <text:page-number '
    'text:select-page="current">1</text:page-number>'
    '<text:s/>of the <text:variable-get text:name="doc" '
    'office:value-type="string">report</text:variable-get>.</text:p>\n'
    '<text:p text:style-name="Standard">A picture <draw:frame draw:name="Image1" text:anchor-type="as-char" '
    'svg:width="1cm" svg:height="1cm" draw:z-index="0">'
    '<draw:image xlink:href="Pictures/flag.png" xlink:type="simple" xlink:show="embed" '
    'xlink:actuate="onLoad"/>'
    '<svg:title>Red flag</svg:title><svg:desc>A red flag on a pole</svg:desc></draw:frame>'
    '<text:s/>of a flag.</text:p>\n'
    '<text:p text:style-name="Standard">Before the box <draw:frame draw:name="Frame1" '
    'text:anchor-type="as-char" svg:width="4cm" draw:z-index="1">'
    '<draw:text-box fo:min-height="1cm">'
    '<text:p text:style-name="Standard">Text in a <text:span text:style-name="T2">box</text:span>.</text:p>'
    '</draw:text-box></draw:frame><text:s/>after the box.</text:p>\n'
    '<text:list text:style-name="L1"><text:list-item>'
    '<text:p text:style-name="Standard">First item</text:p></text:list-item><text:list-item>'
    '<text:p text:style-name="Standard">Second item</text:p></text:list-item></text:list>\n'
    '<table:table table:name="Table1"><table:table-column table:number-columns-repeated="2"/>'
    '<table:table-row><table:table-cell office:value-type="string">'
    '<text:p text:style-name="Standard">Cell text here</text:p></table:table-cell>'
    '<table:table-cell office:value-type="string"><text:p text:style-name="Standard">12</text:p>'
    '</table:table-cell></table:table-row></table:table>\n'
    '<text:section text:name="Section1">'
    '<text:p text:style-name="Standard">Text in a <text:alphabetical-index-mark text:string-value="section" '
    'text:key1="parts of a document"/>section.</text:p>'
    '</text:section>\n'
    '<text:p text:style-name="Standard">'
    '<text:hidden-paragraph text:condition="ooow:1" text:is-hidden="true"/>A paragraph hidden by a '
    'condition.</text:p>\n'
    '<text:p text:style-name="Standard">Shown <text:hidden-text text:condition="ooow:0" '
    'text:string-value="unless hidden" text:is-hidden="false">unless hidden</text:hidden-text>'
    '<text:s/>and <text:conditional-text text:condition="ooow:1" text:string-value-if-true="if true" '
    'text:string-value-if-false="if false" text:current-value="true">if '
    'true</text:conditional-text>.</text:p>\n'
    '<text:p text:style-name="Standard">Comment here<office:annotation>'
    '<dc:creator>Ann Author</dc:creator><dc:date>2024-01-01T00:00:00</dc:date>'
    '<text:p>A remark on the text.</text:p>'
    '</office:annotation> and a <text:reference-mark-start text:name="ref1"/>marked '
    'range<text:reference-mark-end text:name="ref1"/>, see <text:bookmark-ref text:reference-format="text" '
    'text:ref-name="__RefHeading___Toc1_1">Introduction</text:bookmark-ref>.</text:p>\n'
    '<text:p text:style-name="Standard">Inserted<text:change-start text:change-id="ct1"/> '
    'words<text:change-end text:change-id="ct1"/> and <text:change text:change-id="ct2"/>deleted '
    'ones.</text:p>\n'
    '</office:text></office:body></office:document-content>'
)
STYLES = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<office:document-styles {ROOT}><office:styles>\n'
    '<style:default-style style:family="paragraph">'
    '<style:paragraph-properties style:writing-mode="page"/>'
    '<style:text-properties fo:font-size="12pt" fo:language="en" fo:country="US" style:language-asian="zh" '
    'style:country-asian="CN" style:language-complex="hi" style:country-complex="IN"/>'
    '</style:default-style>\n'
    '<style:style style:name="Standard" style:family="paragraph" style:class="text"/>\n'
    '<style:style style:name="Internet_20_link" style:display-name="Internet link" style:family="text">'
    '<style:text-properties fo:color="#000080" fo:language="zxx" fo:country="none"/></style:style>\n'
    '</office:styles><office:automatic-styles><style:page-layout style:name="pm1">'
    '<style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm" style:writing-mode="lr-tb"/>'
    '</style:page-layout></office:automatic-styles>\n'
    '<office:master-styles><style:master-page style:name="Standard" style:page-layout-name="pm1">'
    '<style:header><text:p text:style-name="Header">Confidential header text</text:p></style:header>'
    '<style:footer>'
    '<text:p text:style-name="Footer">Page <text:page-number text:select-page="current">1</text:page-number>'
    '</text:p></style:footer></style:master-page></office:master-styles>\n'
    '</office:document-styles>'
)
META_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<office:document-meta {ROOT}><office:meta><dc:title>A test document</dc:title>'
    '<dc:subject>Testing</dc:subject><dc:description>A document with every construct.</dc:description>'
    '<meta:keyword>fox</meta:keyword><dc:creator>Ann Author</dc:creator>'
    '<meta:generator>babelflow tests</meta:generator></office:meta></office:document-meta>'
)
MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    'manifest:version="1.3">\n'
    '<manifest:file-entry manifest:full-path="/" manifest:version="1.3" '
    'manifest:media-type="application/vnd.oasis.opendocument.text"/>\n'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>\n'
    '<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>\n'
    '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>\n'
    '<manifest:file-entry manifest:full-path="Pictures/flag.png" manifest:media-type="image/png"/>\n'
    '</manifest:manifest>'
)


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixels = zlib.compress(b"\x00" + b"\xff\x00\x00" * 2 + b"\x00" + b"\xff\x00\x00" * 2)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))


def build_package(path: Path, replace: dict[str, bytes | str] | None = None) -> None:
    """The hand-built document as LibreOffice packs one: mimetype first and stored, the rest deflated."""
    members = {"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": CONTENT, "styles.xml": STYLES,
               "meta.xml": META_XML, "Pictures/flag.png": png(), "META-INF/manifest.xml": MANIFEST, **(replace or {})}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data, zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED)


def bad_documents(folder: Path) -> dict[str, str]:
    """Broken and hostile packages beside the good ones -> the error each must report."""
    good = folder / "built.odt"
    data = good.read_bytes()
    (folder / "text.odt").write_text("just some text, not a zip")
    (folder / "truncated.odt").write_bytes(data[: len(data) // 2])
    build_package(folder / "bomb.odt", {"Pictures/zeros.bin": b"\0" * (64 << 20)})  # 64 MiB packed into ~64 KiB
    build_package(folder / "slip.odt", {"../../evil.txt": "outside"})
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    laughs = CONTENT.split("?>", 1)[1].replace("Introduction<", "&l9;<", 1)
    build_package(folder / "laughs.odt", {"content.xml": f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY l0 "lol">{lol}]>'
                                                         + laughs})
    build_package(folder / "dtd.odt", {"content.xml": CONTENT.replace("?>", '?><!DOCTYPE office:document-content>', 1)})
    build_package(folder / "sheet.odt", {"content.xml": CONTENT.replace("office:text>", "office:spreadsheet>")})
    build_package(folder / "spaces.odt", {"content.xml": CONTENT.replace('text:c="4"', 'text:c="999999999"')})
    build_package(folder / "encrypted.odt", {"META-INF/manifest.xml": MANIFEST.replace(
        'manifest:media-type="text/xml"/>', 'manifest:media-type="text/xml"><manifest:encryption-data/>'
        "</manifest:file-entry>", 1)})
    return {"text.odt": "not a readable ODT package", "truncated.odt": "not a readable ODT package",
            "bomb.odt": "zip bomb", "slip.odt": "unsafe zip member name", "laughs.odt": "entity",
            "dtd.odt": "content.xml: has a DTD", "sheet.odt": "not an OpenDocument text: its body holds spreadsheet",
            "spaces.odt": "text:s with text:c='999999999'",
            "encrypted.odt": "password-protected"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, prefect_api) -> dict:
    """The corpus (where present) and the built document translated once per engine: identity into French,
    pseudo into French and Arabic with the bad documents beside them."""
    root = tmp_path_factory.mktemp("odt")
    good, mixed = root / "good", root / "mixed"
    good.mkdir()
    build_package(good / "built.odt")
    for path in ODT:
        shutil.copy(path, good / path.name)
    shutil.copytree(good, mixed)
    bad = bad_documents(mixed)
    code, rows = run_cli(good, root / "identity", "identity", "fr")
    assert code == 0 and [(r["status"], r["error"]) for r in rows if r["status"] != "ok"] == []
    assert all(r["n_spans_lost"] == 0 for r in rows)
    pseudo_code, pseudo_rows = run_cli(mixed, root / "pseudo", "pseudo", "fr,ar")
    return {"source": good, "identity": root / "identity" / "fr", "pseudo": root / "pseudo" / "fr",
            "pseudo-ar": root / "pseudo" / "ar", "pseudo_code": pseudo_code, "pseudo_rows": pseudo_rows, "bad": bad,
            "root": root}


DOCUMENTS = with_corpus([pytest.param(p, id=p.name) for p in ODT])


# --- comparing packages -------------------------------------------------------------------------------


def members(path: Path) -> list[tuple[str, int]]:
    with zipfile.ZipFile(path) as z:
        return [(i.filename, i.compress_type) for i in z.infolist()]


def flows(element: etree._Element) -> bool:
    """Whether the element's text is running text of a paragraph (the paragraph or a span, link or meta in it)."""
    while element.tag in WRAPPERS:
        element = element.getparent()
    return element.tag in PARAGRAPHS and next(element.iterancestors(t("tracked-changes")), None) is None


def paragraph_of(element: etree._Element) -> etree._Element:
    while element.tag not in PARAGRAPHS:
        element = element.getparent()
    return element


def shape(root: etree._Element, ignored: set[str]) -> tuple[list[tuple], dict[etree._Element, str], list[str]]:
    """Per node: its path, tag, attributes (less `ignored`) and kept text; running text and the translated
    element texts and attributes only by length, their text gathered per paragraph and in order."""
    tree = root.getroottree()
    nodes: list[tuple] = []
    running: dict[etree._Element, str] = {}
    translated: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            nodes.append((tree.getpath(el.getparent()), "comment", el.text, el.tail))
            continue
        kinds = ATTRIBUTES.get(el.tag, set())
        attributes = {k: (len(v) if k in kinds else v) for k, v in el.attrib.items() if k not in ignored}
        translated += [v for k, v in el.attrib.items() if k in kinds]
        text, tail = el.text, el.tail
        if flows(el) and text:
            running[paragraph_of(el)] = running.get(paragraph_of(el), "") + text
            text = len(text)
        elif text and (el.tag in TEXTS or el.tag in FIELDS and text in {el.get(a) for a in kinds}):
            translated.append(text)
            text = len(text)
        parent = el.getparent()
        if parent is not None and flows(parent) and tail:
            running[paragraph_of(parent)] = running.get(paragraph_of(parent), "") + tail
            tail = len(tail)
        nodes.append((tree.getpath(el), el.tag, attributes, text, tail))
    return nodes, running, translated


def check_part(name: str, before: bytes, after: bytes, pseudo_run: bool, ignored: set[str]) -> None:
    """Same tree, attributes and kept text; running text and translated texts as the engine makes them."""
    old, new = etree.fromstring(before), etree.fromstring(after)
    old_nodes, old_running, old_texts = shape(old, ignored)
    new_nodes, new_running, new_texts = shape(new, ignored)
    for a, b in zip(old_nodes, new_nodes):
        assert a == b, f"{name}: {a[0]} differs:\n  source {a}\n  output {b}"
    assert len(old_nodes) == len(new_nodes), f"{name}: {len(old_nodes)} nodes became {len(new_nodes)}"
    paths = old.getroottree().getpath
    for (p, a), b in zip(old_running.items(), new_running.values()):
        assert pseudo_or_kept(a, b) if pseudo_run else a == b, f"{name}: {paths(p)}: {a!r} became {b!r}"
    for a, b in zip(old_texts, new_texts):
        assert pseudo_or_kept(a, b) if pseudo_run else a == b, f"{name}: {a!r} became {b!r}"


def check_package(source: Path, output: Path, pseudo_run: bool = False, rtl: bool = False) -> None:
    """Every member back in its place with its compression (mimetype first and stored); the parts with text
    and styles with the same tree, every other member (embedded charts, settings, pictures) byte for byte."""
    assert members(output) == members(source)
    assert members(output)[0] == ("mimetype", zipfile.ZIP_STORED)
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(output) as zout:
        for name in zin.namelist():
            before, after = zin.read(name), zout.read(name)
            if name in ("content.xml", "styles.xml", "meta.xml"):
                check_part(name, before, after, pseudo_run, RTL if rtl else LANGUAGE)
            else:
                assert after == before, f"{name} changed"


def part(path: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read(name))


def default_style(path: Path) -> etree._Element:
    return part(path, "styles.xml").find("office:styles/style:default-style[@style:family='paragraph']", NS)


def languages(path: Path, attribute: str) -> set[str]:
    """The values of a language attribute in the styles of styles.xml and content.xml."""
    return {p.get(attribute) for name in ("styles.xml", "content.xml")
            for p in part(path, name).iter(s("text-properties")) if p.get(attribute) is not None}


# --- the corpus and the built document through the CLI --------------------------------------------------


@pytest.mark.parametrize("path", [*DOCUMENTS, pytest.param(None, id="built.odt")])
def test_identity_round_trip(runs, path) -> None:
    source = path or runs["source"] / "built.odt"
    output = runs["identity"] / source.name
    check_package(source, output)
    properties = default_style(output).find("style:text-properties", NS)
    assert (properties.get(f"{{{FO}}}language"), properties.get(f"{{{FO}}}country")) == ("fr", "FR")
    assert languages(output, f"{{{FO}}}language") <= {"fr", "zxx"}


@pytest.mark.parametrize("path", [*DOCUMENTS, pytest.param(None, id="built.odt")])
def test_pseudo_translates_every_letter_and_nothing_else(runs, path) -> None:
    source = path or runs["source"] / "built.odt"
    check_package(source, runs["pseudo"] / source.name, pseudo_run=True)


@pytest.mark.parametrize("path", [*DOCUMENTS, pytest.param(None, id="built.odt")])
def test_right_to_left_target_is_marked_as_libreoffice_expects(runs, path) -> None:
    """Into Arabic the default paragraph style reads right to left and names Arabic in the complex-script
    attributes (where LibreOffice looks for an Arabic text's language); no style or page says left to right."""
    source = path or runs["source"] / "built.odt"
    output = runs["pseudo-ar"] / source.name
    check_package(source, output, pseudo_run=True, rtl=True)
    default = default_style(output)
    assert default.find("style:paragraph-properties", NS).get(s("writing-mode")) == "rl-tb"
    text = default.find("style:text-properties", NS)
    assert (text.get(s("language-complex")), text.get(s("country-complex"))) == ("ar", "SA")
    assert languages(output, s("language-complex")) <= {"ar", "zxx"}
    assert languages(output, f"{{{FO}}}language") == languages(source, f"{{{FO}}}language")  # Latin words keep theirs
    for name in ("styles.xml", "content.xml"):
        modes = {e.get(s("writing-mode")) for e in part(output, name).iter() if e.get(s("writing-mode"))}
        assert not modes & {"lr-tb", "lr"}, (name, modes)
        for properties in part(output, name).iter(s("text-properties")):  # bold Latin text: bold Arabic text
            for latin in ("font-weight", "font-style", "font-size"):
                if properties.get(f"{{{FO}}}{latin}"):
                    assert properties.get(s(f"{latin}-complex")), (name, dict(properties.attrib))


def test_bad_documents_fail_alone(runs) -> None:
    assert runs["pseudo_code"] == 1
    rows = runs["pseudo_rows"]
    errors = {Path(r["source"]).name: r["error"] for r in rows if r["status"] != "ok"}
    assert all(r["n_spans_lost"] == 0 for r in rows if r["status"] == "ok")
    assert {Path(r["source"]).name for r in rows if r["status"] == "ok"} == {p.name for p in runs["source"].iterdir()}
    assert set(errors) == set(runs["bad"])
    for name, message in runs["bad"].items():
        assert message in errors[name], (name, errors[name])
        assert not (runs["pseudo"] / name).exists() and not (runs["pseudo-ar"] / name).exists()
    assert not list(runs["root"].rglob("evil.txt"))


def test_built_document_comes_through_translated(runs) -> None:
    """What is translated (running text in notes, boxes, comments, lists, tables, sections, indexes, headers
    and footers; hidden text; image titles; properties) and what is kept (fields, note citations,
    conditions, deleted text, names)."""
    output = runs["pseudo"] / "built.odt"
    body = part(output, "content.xml")
    texts = [odf_text(p) for p in body.iter(t("p"), t("h"))]
    for sentence in ("The quick brown fox jumps over the lazy dog.", "Introduction", "A footnote about foxes.",
                     "Text in a box.", "First item", "Cell text here", "Text in a section.", "A remark on the text.",
                     "A paragraph hidden by a condition.", "Introduction\t1", "Table of Contents"):
        assert pseudo(sentence) in texts, sentence
    assert "Deleted words stay as they were." in texts
    assert body.find(".//text:note-citation", NS).text == "1"
    assert body.find(".//text:page-number", NS).text == "1"
    assert body.find(".//text:bookmark-ref", NS).text == "Introduction"
    assert body.find(".//text:variable-get", NS).text == "report"
    hidden = body.find(".//text:hidden-text", NS)
    assert (hidden.get(t("string-value")), hidden.text, hidden.get(t("condition"))) == (
        pseudo("unless hidden"), pseudo("unless hidden"), "ooow:0")
    conditional = body.find(".//text:conditional-text", NS)
    assert (conditional.get(t("string-value-if-true")), conditional.get(t("string-value-if-false"))) == (
        pseudo("if true"), pseudo("if false"))
    assert body.find(".//text:hidden-paragraph", NS).get(t("condition")) == "ooow:1"
    assert [body.find(f".//svg:{n}", NS).text for n in ("title", "desc")] == [pseudo("Red flag"),
                                                                           pseudo("A red flag on a pole")]
    assert body.find(".//text:index-title-template", NS).text == pseudo("Table of Contents")
    mark = body.find(".//text:alphabetical-index-mark", NS)
    assert (mark.get(t("string-value")), mark.get(t("key1"))) == (pseudo("section"), pseudo("parts of a document"))
    assert {a.get(f"{{{OFFICE}}}title") for a in body.iter(t("a"))} == {None, pseudo("Our home page")}
    assert body.find(".//office:annotation/dc:creator", NS).text == "Ann Author"
    spaced = next(p for p in body.iter(t("p")) if p.find("text:tab", NS) is not None and p.find("text:a", NS) is None)
    assert [e.get(t("c")) for e in spaced.iter(t("s"))] == [None, "2"]
    assert odf_text(spaced) == pseudo("Two  spaces, three   spaces,\ta tab\nand a new line. Next page.")
    styles = part(output, "styles.xml")
    assert [odf_text(p) for p in styles.iter(t("p"))] == [pseudo("Confidential header text"),
                                                                     pseudo("Page ") + "1"]
    meta = part(output, "meta.xml").find("office:meta", NS)
    assert [e.text for e in meta] == [pseudo("A test document"), pseudo("Testing"),
                                      pseudo("A document with every construct."), pseudo("fox"), "Ann Author",
                                      "babelflow tests"]


# --- rendering what an engine may write ------------------------------------------------------------------


def parsed(data: bytes, src_lang: str = "en_XX"):
    from babelflow.documents import Document
    from babelflow.tasks.formats import FormatOptions
    from babelflow.tasks.formats import odt

    result = odt.parse(data, FormatOptions())
    return Document("in.odt", "in.odt", "odt", result.blocks, result.skeleton, src_lang=src_lang)


def built_bytes(tmp_path: Path) -> bytes:
    build_package(tmp_path / "built.odt")
    return (tmp_path / "built.odt").read_bytes()


@pytest.mark.parametrize("text", ["Deux  espaces  ici", "  au début", "à la fin  ", "un\tdeux\t\ttrois",
                                  "ligne\n  suivante", "a \t b", "trois   \n   espaces", "\n\nfin"])
def test_spaces_come_back_as_written(tmp_path, text) -> None:
    """A translation's spaces, tabs and line breaks are written so that they read back as they are: no
    literal space where ODF collapses it (at the start, after a space), text:s instead."""
    from babelflow.documents import Block
    from babelflow.tasks.formats import odt

    doc = parsed(built_bytes(tmp_path))
    i = next(i for i, b in enumerate(doc.blocks) if b.text.startswith("The quick"))
    blocks: list = [None] * len(doc.blocks)
    blocks[i] = Block(text, [])
    out = odt.render(doc, blocks, "fr_XX")
    assert parsed(out).blocks[i].text == text
    paragraph = next(p for p in part_of(out).iter(t("p")) if p.get(t("style-name")) == "P1")
    assert odf_text(paragraph) == text
    literal = [paragraph.text or "", *(e.tail or "" for e in paragraph)]
    assert not literal[0].startswith(" ") and not any("  " in node for node in literal), literal


def odf_text(element: etree._Element) -> str:
    """What a reader sees of a paragraph written without collapsible white space: its text with text:s,
    text:tab and text:line-break spelled out (in spans and links too); other elements by their text."""
    chars = {t("tab"): "\t", t("line-break"): "\n"}
    out = [element.text or ""]
    for el in element:
        if el.tag == t("s"):
            out.append(" " * int(el.get(t("c"), "1")))
        elif el.tag in chars:
            out.append(chars[el.tag])
        else:
            out.append(odf_text(el) if el.tag in WRAPPERS else "".join(el.itertext()))
        out.append(el.tail or "")
    return "".join(out)


def part_of(data: bytes, name: str = "content.xml") -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return etree.fromstring(z.read(name))


def test_reordered_translation_keeps_markup_well_formed(tmp_path) -> None:
    """A translation that moves the bold words, splits the link and the annotated range: spans copied per
    piece (an xml:id only on the first copy), every object placed once, nothing lost."""
    from babelflow.documents import Block
    from babelflow.tasks.formats import odt

    doc = parsed(built_bytes(tmp_path))
    i = next(i for i, b in enumerate(doc.blocks) if b.text.startswith("The quick"))
    j = next(i for i, b in enumerate(doc.blocks) if b.text.startswith("Visit"))
    k = next(i for i, b in enumerate(doc.blocks) if b.text.startswith("See the note"))
    bold, meta = (next(r for a, b, r in doc.blocks[i].spans if doc.blocks[i].text[a:b] == w) for w in ("brown fox",
                                                                                                       "lazy dog"))
    link = next(r for a, b, r in doc.blocks[j].spans if doc.blocks[j].text[a:b] == "our website")
    note = next(r for a, b, r in doc.blocks[k].spans if a == b)
    blocks = [None] * len(doc.blocks)
    blocks[i] = Block("Le chien paresseux et le renard brun", [(3, 9, meta), (22, 29, meta), (0, 12, bold)])
    blocks[j] = Block("Voir notre site web ici", [(5, 10, link), (19, 23, link)])
    blocks[k] = Block("Voir ici la note", [(16, 16, note), (4, 4, note)])
    out = odt.render(doc, blocks, "de_DE")
    assert odt.render(doc, blocks, "de_DE") == out, "render does not change the skeleton"
    body = part_of(out)
    first = next(p for p in body.iter(t("p")) if "".join(p.itertext()).startswith("Le chien"))
    assert [("".join(e.itertext()), e.get("{http://www.w3.org/XML/1998/namespace}id")) for e in first.iter(t("meta"))
            ] == [("chien ", "m1"), ("le rena", None)]
    assert ["".join(e.itertext()) for e in first.iter(t("span"))] == ["Le chien par"]
    second = next(p for p in body.iter(t("p")) if "".join(p.itertext()).startswith("Voir notre"))
    assert ["".join(a.itertext()) for a in second.iter(t("a"))] == ["notre", " ici"]
    assert {a.get("{http://www.w3.org/1999/xlink}href") for a in second.iter(t("a"))} == {"https://example.com/"}
    third = next(p for p in body.iter(t("p")) if p.text == "Voir")  # placed twice by the engine, written once
    assert [(e.tag, e.tail) for e in third] == [(t("note"), " ici la note")]
    assert [b.text for b in parsed(out).blocks if b.text.startswith("Voir")] == ["Voir notre site web ici",
                                                                                  "Voir ici la note"]
    source = built_bytes(tmp_path)
    untouched = odt.render(doc, [None] * len(doc.blocks), "fr_XX")
    check_part("content.xml", part_bytes(source), part_bytes(untouched), False, LANGUAGE)


def part_bytes(data: bytes, name: str = "content.xml") -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(name)


@pytest.mark.parametrize(("tgt", "attributes"), [
    ("fr_XX", {"{%s}language" % FO: "fr", "{%s}country" % FO: "FR"}),
    ("de_DE", {"{%s}language" % FO: "de", "{%s}country" % FO: "DE"}),
    ("zh_CN", {s("language-asian"): "zh", s("country-asian"): "CN"}),
    ("ja_XX", {s("language-asian"): "ja", s("country-asian"): "JP"}),
    ("ko_KR", {s("language-asian"): "ko", s("country-asian"): "KR"}),
    ("zho_Hant", {s("language-asian"): "zh", s("country-asian"): None, s("script-asian"): "Hant",
                  s("rfc-language-tag-asian"): "zh-Hant"}),
    ("hi_IN", {s("language-complex"): "hi", s("country-complex"): "IN"}),
    ("th_TH", {s("language-complex"): "th", s("country-complex"): "TH"}),
    ("he_IL", {s("language-complex"): "he", s("country-complex"): "IL"}),
    ("ar_AR", {s("language-complex"): "ar", s("country-complex"): "SA"}),
    ("srp_Cyrl", {"{%s}language" % FO: "sr", "{%s}country" % FO: None, "{%s}script" % FO: "Cyrl",
                  s("rfc-language-tag"): "sr-Cyrl"}),
    ("ast_Latn", {"{%s}language" % FO: "ast", "{%s}country" % FO: "none"})])
def test_language_in_the_attributes_of_its_script(tmp_path, tgt, attributes) -> None:
    """The target names the language of its script class (Latin..., Asian, complex) in the default paragraph
    style and in every style that named one of that class, as LibreOffice writes it (None: no such attribute);
    the other classes keep theirs."""
    from babelflow.tasks.formats import odt

    source = built_bytes(tmp_path)
    out = odt.render(parsed(source), [None] * len(parsed(source).blocks), tgt)
    before = part_of(source, "styles.xml").find("office:styles/style:default-style/style:text-properties", NS)
    after = part_of(out, "styles.xml").find("office:styles/style:default-style/style:text-properties", NS)
    cls = next((c for c in ("asian", "complex") if any(k.endswith(c) for k in attributes)), None)
    twin = {s(f"font-size-{cls}"): "12pt"} if cls else {}  # the size set for Latin text reaches the target's script
    expected = {k: v for k, v in {**before.attrib, **attributes, **twin}.items() if v is not None}
    assert dict(after.attrib) == expected
    italic = part_of(out).find("office:automatic-styles/style:style[@style:name='T2']/style:text-properties", NS)
    western = {k: v for k, v in attributes.items() if k.startswith(f"{{{FO}}}") or k == s("rfc-language-tag")}
    assert {k: italic.get(k) for k in western} == western
    link = part_of(out, "styles.xml").find("office:styles/style:style[@style:name='Internet_20_link']/"
                                           "style:text-properties", NS)
    assert link.get(f"{{{FO}}}language") == "zxx"


def test_right_to_left_source_into_left_to_right_target(runs) -> None:
    """The Arabic output translated into French reads left to right again, by default and wherever a style
    or a page said right to left; a left-to-right source into French keeps its direction as it was."""
    from babelflow.tasks.formats import odt

    doc = parsed((runs["pseudo-ar"] / "built.odt").read_bytes(), src_lang="ar_AR")
    out = odt.render(doc, list(doc.blocks), "fr_XX")
    for name in ("styles.xml", "content.xml"):
        modes = {e.get(s("writing-mode")) for e in part_of(out, name).iter() if e.get(s("writing-mode"))}
        assert not modes & {"rl-tb", "rl"}, (name, modes)
    default = part_of(out, "styles.xml").find("office:styles/style:default-style", NS)
    assert default.find("style:paragraph-properties", NS).get(s("writing-mode")) == "lr-tb"
    french = part(runs["pseudo"] / "built.odt", "styles.xml").find("office:styles/style:default-style", NS)
    assert french.find("style:paragraph-properties", NS).get(s("writing-mode")) == "page"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_converts_outputs(runs, tmp_path) -> None:
    """LibreOffice opens the French and the Arabic output and lays them out (PDF), reads the translated text
    (plain text export) and keeps the Arabic marking when it saves the document again (flat ODT)."""
    outputs = {"fr.odt": runs["pseudo"] / "built.odt", "ar.odt": runs["pseudo-ar"] / "built.odt"}
    for name, path in outputs.items():
        shutil.copy(path, tmp_path / name)

    def convert(target: str, *names: str) -> str:
        result = subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to", target,
             "--outdir", str(tmp_path / "converted"), *(str(tmp_path / n) for n in names)],
            capture_output=True, text=True, timeout=180,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    log = convert("pdf", *outputs)
    for name in outputs:
        pdf = tmp_path / "converted" / name.replace(".odt", ".pdf")
        assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000, log
    convert("fodt", "ar.odt")
    saved = etree.parse(str(tmp_path / "converted" / "ar.fodt")).getroot()
    default = saved.find("office:styles/style:default-style[@style:family='paragraph']", NS)
    assert default.find("style:paragraph-properties", NS).get(s("writing-mode")) == "rl-tb"
    assert default.find("style:text-properties", NS).get(s("language-complex")) == "ar"
    seen = "".join(saved.find("office:body", NS).itertext())
    assert pseudo("The quick brown fox jumps over the lazy dog.") in seen and "quick" not in seen
