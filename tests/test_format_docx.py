"""DOCX: every corpus document and hand-built ones through `babelflow translate`, checked part by part."""

from __future__ import annotations

import copy
import io
import re
import shutil
import struct
import zipfile
import zlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from protected_text import protected_positions, unprotected
from conftest import CORPUS, corpus, members, members_of, soffice, translate_corpus, translate_folder, with_corpus
from lxml import etree

from babelflow.tasks.engines.pseudo import pseudo

DOCX = sorted((CORPUS / "docx").glob("*.docx"))
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
R_ID = f"{{{R}}}id"
NS = {"w": W}
# The parts whose paragraphs are translated, and the styles part (default language); all else is copied.
TEXT_PART = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes|comments|glossary/document)\.xml")
DC, CP = "http://purl.org/dc/elements/1.1/", "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
# The core properties a reader sees in the title bar and the file's properties; the rest of docProps is kept.
PROPERTIES = (f"{{{DC}}}title", f"{{{DC}}}subject", f"{{{DC}}}description", f"{{{CP}}}keywords")
# What a right-to-left target adds to run properties: direction, language and the complex-script twins.
RTL_RUN = ("rtl", "lang", "bCs", "iCs", "szCs")
CHARS = {f"{{{W}}}tab": "\t", f"{{{W}}}br": "\n", f"{{{W}}}cr": "\n",
         f"{{{W}}}noBreakHyphen": "\u2011", f"{{{W}}}softHyphen": "\u00ad"}


def w(name: str) -> str:
    return f"{{{W}}}{name}"


@pytest.fixture(scope="module")
def corpus_runs(tmp_path_factory, prefect_api) -> dict[str, Path]:
    return translate_corpus("DOCX", DOCX, tmp_path_factory.mktemp("docx"))


def run_format(run: etree._Element, set_by_translation: tuple[str, ...] = ("lang",)) -> bytes:
    """The run's w:rPr, canonical, without the properties translation sets (w:lang; more into right-to-left)."""
    rpr = run.find(w("rPr"))
    if rpr is None:
        return b""
    rpr = copy.deepcopy(rpr)
    for el in rpr.iter():
        el.text = el.text if el.text and el.text.strip() else None
        el.tail = None
    for name in set_by_translation:
        for child in rpr.findall(w(name)):
            rpr.remove(child)
    return etree.tostring(rpr, method="c14n", exclusive=True) if len(rpr) else b""


WRAPPERS = {w(n) for n in ("hyperlink", "ins", "moveTo", "smartTag", "customXml", "sdt", "sdtContent", "fldSimple")}
SKIPPED = {w("pPr"), w("rPr"), w("sdtPr"), w("sdtEndPr"), w("r"), *WRAPPERS}


def content(p: etree._Element, set_by_translation: tuple[str, ...] = ("lang",)) -> list[tuple]:
    """The paragraph's own content in order: each visible character as ("char", char, run format, link target,
    break type), anything else (drawings, fields, bookmarks, note references, deleted text...) as ("object", tag,
    link target)."""
    out = []
    for el in p.iterdescendants():
        parent = el.getparent()
        if parent.tag not in {w("p"), w("r"), *WRAPPERS} or next(el.iterancestors(w("p"))) is not p:
            continue
        link = next(el.iterancestors(w("hyperlink"), w("p")))
        target = (link.get(R_ID), link.get(w("anchor"))) if link.tag == w("hyperlink") else ()
        if parent.tag == w("r") and (el.tag == w("t") or el.tag in CHARS):
            kind = {} if el.tag == w("t") else dict(el.attrib)  # a page break stays a page break
            for char in (el.text or "") if el.tag == w("t") else CHARS[el.tag]:
                out.append(("char", char, run_format(parent, set_by_translation), target, kind))
        elif el.tag not in SKIPPED:
            out.append(("object", el.tag, target))
    return out


def languages(p: etree._Element, attribute: str = "val") -> set[str | None]:
    """w:lang (w:val, the language of Latin text, or another of its attributes) of the paragraph's runs with text."""
    runs = {t.getparent() for t in p.iter(w("t")) if next(t.iterancestors(w("p"))) is p}
    return {lang.get(w(attribute)) if (lang := r.find("w:rPr/w:lang", NS)) is not None else None for r in runs}


def text(p: etree._Element) -> str:
    return "".join(item[1] for item in content(p) if item[0] == "char")


def check_document(source: Path, output: Path, expect=lambda c: c, rtl: bool = False) -> None:
    """Same package, same members; per paragraph, every character `expect(source char)` with its formatting;
    the core properties a reader sees translated and the rest of docProps as it was."""
    import docx

    docx.Document(str(output))
    lang, set_by_translation = (("bidi", "ar-SA"), RTL_RUN) if rtl else (("val", "fr-FR"), ("lang",))
    before, after = members(source), members(output)
    assert list(after) == list(before)
    assert [c for c, _ in after.values()] == [c for c, _ in before.values()]
    for name, (_, data) in before.items():
        if name == "docProps/core.xml":
            old, new = etree.fromstring(data), etree.fromstring(after[name][1])
            translated = [(e.tag, "".join(map(expect, e.text)) if e.tag in PROPERTIES and e.text else e.text)
                          for e in old]
            assert translated == [(e.tag, e.text) for e in new]
            continue
        if not TEXT_PART.fullmatch(name) and name != "word/styles.xml":
            assert after[name][1] == data, name
            continue
        old, new = etree.fromstring(data), etree.fromstring(after[name][1])
        for tag in ("instrText", "delText"):
            assert [e.text for e in new.iter(w(tag))] == [e.text for e in old.iter(w(tag))]
        if name == "word/styles.xml":
            assert new.find("w:docDefaults/w:rPrDefault/w:rPr/w:lang", NS).get(w(lang[0])) == lang[1]
            if not rtl:
                styles = list(map(etree.tostring, new.iter(w("style"))))
                assert styles == list(map(etree.tostring, old.iter(w("style"))))
            continue
        old_ps, new_ps = list(old.iter(w("p"))), list(new.iter(w("p")))
        assert len(new_ps) == len(old_ps), name
        for a, b in zip(old_ps, new_ps):
            source, got = content(a, set_by_translation), content(b, set_by_translation)
            # letters of protected spans (URLs, addresses: tasks/protect) may stay as they are
            kept = protected_positions("".join(c for kind, c, *_ in source if kind == "char"))
            chars = [c for kind, c, *_ in got if kind == "char"]
            expected, i = [], 0
            for kind, c, *rest in source:
                if kind == "char":
                    c = chars[i] if i in kept and i < len(chars) and chars[i] == c else expect(c)
                    i += 1
                expected.append((kind, c, *rest))
            assert got == expected, name
            if text(a).strip():
                assert languages(b, lang[0]) == {lang[1]}


@pytest.mark.parametrize("path", with_corpus([pytest.param(p, id=p.name) for p in DOCX]))
def test_identity_round_trip(corpus_runs, path) -> None:
    check_document(path, corpus_runs["identity"] / path.name)


@pytest.mark.parametrize("path", with_corpus([pytest.param(p, id=p.name) for p in DOCX]))
def test_pseudo_translates_every_letter_and_nothing_else(corpus_runs, path) -> None:
    output = corpus_runs["pseudo"] / path.name
    check_document(path, output, pseudo)
    with zipfile.ZipFile(output) as z:
        for name in filter(TEXT_PART.fullmatch, z.namelist()):
            visible = "".join(t.text or "" for t in etree.fromstring(z.read(name)).iter(w("t")))
            assert not re.search("[A-Za-z]", unprotected(visible)), name


# --- right-to-left targets and docProps ----------------------------------------------------------


def direction(root: etree._Element) -> dict[str, list[bool]]:
    """Per paragraph, paragraph mark, run, table and section of a part: whether it is right to left (on
    without w:val="0")."""
    def on(element: etree._Element, path: str) -> bool:
        found = element.find(path, NS)
        return found is not None and found.get(w("val")) not in ("0", "false", "off")

    return {"p": [on(p, "w:pPr/w:bidi") for p in root.iter(w("p"))],
            "mark": [on(p, "w:pPr/w:rPr/w:rtl") for p in root.iter(w("p"))],
            "r": [on(r, "w:rPr/w:rtl") for r in root.iter(w("r"))],
            "tbl": [on(t, "w:tblPr/w:bidiVisual") for t in root.iter(w("tbl"))],
            "sect": [on(s, "w:bidi") for s in root.iter(w("sectPr")) if s.getparent().tag != w("sectPrChange")]}


def paragraph_properties(p: etree._Element) -> list[bytes]:
    """w:pPr without what the direction sets (w:bidi of the paragraph and of its section, the mark's RTL_RUN):
    alignment (start/end in a w:bidi paragraph), indents, numbering, style, the mark's own formatting."""
    ppr = p.find(w("pPr"))
    if ppr is None:
        return []
    ppr = copy.deepcopy(ppr)
    mark = ppr.find(w("rPr"))
    for el in [*ppr.findall("w:bidi", NS), *ppr.findall("w:sectPr/w:bidi", NS),
               *(c for c in (mark if mark is not None else ()) if etree.QName(c).localname in RTL_RUN)]:
        el.getparent().remove(el)
    return [etree.tostring(c, method="c14n", exclusive=True) for c in ppr if c.tag != w("rPr") or len(c)]


@pytest.mark.parametrize("path", with_corpus([pytest.param(p, id=p.name) for p in DOCX]))
def test_right_to_left_target_reads_right_to_left(corpus_runs, path) -> None:
    """Into Arabic every paragraph, run and table is right to left, alignment and indents are kept as the
    start/end they were, and the language tag is w:bidi (w:val stays the language of Latin text)."""
    output = corpus_runs["pseudo-ar"] / path.name
    check_document(path, output, pseudo, rtl=True)
    before, after = members(path), members(output)
    for name in filter(TEXT_PART.fullmatch, after):
        old, new = etree.fromstring(before[name][1]), etree.fromstring(after[name][1])
        assert all(all(flags) for flags in direction(new).values()), name
        assert list(map(paragraph_properties, new.iter(w("p")))) == list(map(paragraph_properties, old.iter(w("p"))))
        for rpr in new.iter(w("rPr")):
            for latin in ("b", "i", "sz"):  # Word formats right-to-left runs with the complex-script twins
                if rpr.find(w(latin)) is not None and rpr.getparent().tag == w("r"):
                    assert rpr.find(w(f"{latin}Cs")) is not None, (name, etree.tostring(rpr))
    for name, (_, data) in after.items():
        if name.endswith(".xml"):
            assert b'w:val="ar-SA"' not in data, name


@pytest.mark.parametrize("path", with_corpus([pytest.param(p, id=p.name) for p in DOCX]))
def test_left_to_right_target_keeps_the_direction(corpus_runs, path) -> None:
    before, after = members(path), members(corpus_runs["pseudo"] / path.name)
    for name in filter(TEXT_PART.fullmatch, before):
        old, new = direction(etree.fromstring(before[name][1])), direction(etree.fromstring(after[name][1]))
        assert {k: v for k, v in new.items() if k != "r"} == {k: v for k, v in old.items() if k != "r"}, name
        assert any(new["r"]) == any(old["r"]), name  # runs may merge


# An Arabic document's styles: paragraphs, runs and tables that set nothing themselves read right to left.
# Each goes before the element at its path (in schema order).
RTL_STYLES = {"w:docDefaults/w:pPrDefault/w:pPr/w:spacing": "<w:bidi/>",
              "w:docDefaults/w:rPrDefault/w:rPr/w:lang": "<w:rtl/>",
              "w:style[@w:styleId='TableGrid']/w:tblPr/w:tblInd": "<w:bidiVisual/>"}


def test_right_to_left_source_into_left_to_right_target(corpus_runs, built, tmp_path) -> None:
    """An Arabic document translated into French reads left to right again, aligned as it was: paragraphs,
    their marks, runs, tables and sections, in the body and the other parts, and through the styles."""
    src = tmp_path / "src"
    src.mkdir()
    sources = {name: corpus("docx", name) for name in ("par-alignment.docx", "tbl-having-tables.docx",
                                                        "num-having-numbering-part.docx", "hdr-header-footer.docx",
                                                        "sct-section-props.docx", "comments-rich-para.docx")}
    for name in sources:
        shutil.copy(corpus_runs["pseudo-ar"] / name, src / name)
    sources["built.docx"] = built["source"]
    with zipfile.ZipFile(built["pseudo-ar"]) as zin, zipfile.ZipFile(src / "built.docx", "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "word/styles.xml":
                styles = etree.fromstring(data)
                for path, fragment in RTL_STYLES.items():
                    styles.find(path, NS).addprevious(el(fragment))
                data = etree.tostring(styles)
            zout.writestr(info, data)
    rows = translate_folder(src, tmp_path / "out", "identity", src_lang="ar")
    assert [(r["status"], r["error"]) for r in rows] == [("ok", None)] * len(sources)
    for name, source in sources.items():
        before, after = members(source), members(tmp_path / "out" / "fr" / name)
        for part in filter(TEXT_PART.fullmatch, before):
            old, new = etree.fromstring(before[part][1]), etree.fromstring(after[part][1])
            assert not any(flag for flags in direction(new).values() for flag in flags), part
            assert list(map(paragraph_properties, new.iter(w("p")))) == list(
                map(paragraph_properties, old.iter(w("p"))))
        styles = etree.fromstring(after["word/styles.xml"][1])
        assert [e.tag for e in styles.iter(w("bidi"), w("rtl"), w("bidiVisual"))] == [], name


def test_core_properties_translated_company_kept(corpus_runs) -> None:
    with zipfile.ZipFile(corpus_runs["pseudo"] / "doc-coreprops.docx") as z:
        core = etree.fromstring(z.read("docProps/core.xml"))
    assert {e.tag: e.text for e in core if e.tag in PROPERTIES} == {
        f"{{{DC}}}title": pseudo("Title"), f"{{{DC}}}subject": pseudo("Subject"),
        f"{{{DC}}}description": pseudo("Description"), f"{{{CP}}}keywords": pseudo("key; word; keyword")}
    assert core.find(f"{{{DC}}}creator").text == "Steve Canny"
    with zipfile.ZipFile(corpus_runs["pseudo"] / "blk-containing-table.docx") as z:
        assert b"<Company>Cisco Systems, Inc.</Company>" in z.read("docProps/app.xml")


# --- hand-built documents -------------------------------------------------------------------------

MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
TEXT_BOX = """<w:r xmlns:w="{W}" xmlns:mc="{MC}"
  xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
  xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:v="urn:schemas-microsoft-com:vml"
  xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><mc:AlternateContent>
 <mc:Choice Requires="wps"><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0">
  <wp:extent cx="1828800" cy="457200"/><wp:docPr id="10" name="Text Box 10"/>
  <a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">
   <wps:wsp><wps:cNvSpPr txBox="1"/><wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="1828800" cy="457200"/></a:xfrm>
    <a:prstGeom prst="rect"><a:avLst/></a:prstGeom></wps:spPr>
    <wps:txbx><w:txbxContent><w:p><w:r><w:t>Text in a </w:t></w:r><w:r><w:rPr><w:i/></w:rPr><w:t>box</w:t></w:r>
    <w:r><w:t>.</w:t></w:r></w:p></w:txbxContent></wps:txbx><wps:bodyPr/></wps:wsp>
  </a:graphicData></a:graphic></wp:inline></w:drawing></mc:Choice>
 <mc:Fallback><w:pict><v:shape style="width:144pt;height:36pt"><v:textbox><w:txbxContent>
  <w:p><w:r><w:t>Text in a </w:t></w:r><w:r><w:rPr><w:i/></w:rPr><w:t>box</w:t></w:r><w:r><w:t>.</w:t></w:r></w:p>
 </w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback>
</mc:AlternateContent></w:r>""".replace("{W}", W).replace("{MC}", MC)
FOOTNOTES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:footnotes xmlns:w="{W}">
<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>
<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>
<w:footnote w:id="1"><w:p><w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteRef/></w:r>
<w:r><w:t xml:space="preserve"> A footnote about foxes.</w:t></w:r></w:p></w:footnote>
</w:footnotes>"""
# The placeholder text a content control shows until it is filled in ("Click or tap here to enter text.").
GLOSSARY = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:glossaryDocument xmlns:w="{W}"><w:docParts><w:docPart><w:docPartPr><w:name w:val="DefaultPlaceholder_1"/>
<w:category><w:name w:val="General"/><w:gallery w:val="placeholder"/></w:category><w:types><w:type w:val="bbPlcHdr"/>
</w:types><w:behaviors><w:behavior w:val="content"/></w:behaviors></w:docPartPr><w:docPartBody><w:p><w:r><w:rPr>
<w:rStyle w:val="PlaceholderText"/></w:rPr><w:t>Click or tap here to enter a name.</w:t></w:r></w:p></w:docPartBody>
</w:docPart></w:docParts></w:glossaryDocument>"""


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\xff\x00\x00" * 2 + b"\x00" + b"\x00\x00\xff" * 2)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def el(fragment: str):
    """A WordprocessingML element from XML written with the w: prefix."""
    from docx.oxml import parse_xml

    tag = re.match(r"<([\w:]+)", fragment).group(1)
    return parse_xml(fragment.replace(f"<{tag}", f'<{tag} xmlns:w="{W}" xmlns:r="{R}"', 1))


def build_document(path: Path) -> None:
    """A small document with every construct the issue names, built with python-docx and lxml."""
    import docx
    from docx.opc.constants import CONTENT_TYPE as CT
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    doc = docx.Document()
    doc.sections[0].header.paragraphs[0].text = "Confidential header text"
    doc.sections[0].footer.paragraphs[0].text = "Page footer text"
    p = doc.add_paragraph("The quick ")
    p.add_run("brown fox").bold = True
    p.add_run(" jumps over the lazy dog.")

    p = doc.add_paragraph("Visit ")
    r_id = doc.part.relate_to("https://example.com/", RT.HYPERLINK, is_external=True)
    p._p.append(el(f'<w:hyperlink r:id="{r_id}"><w:r><w:rPr><w:rStyle w:val="Hyperlink"/></w:rPr>'
                   "<w:t>our website</w:t></w:r></w:hyperlink>"))
    p.add_run(" for more.")

    p = doc.add_paragraph("See the note")
    p._p.append(el('<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteReference w:id="1"/></w:r>'))
    p.add_run(" here.")
    footnotes = Part(PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, FOOTNOTES.encode(), doc.part.package)
    doc.part.relate_to(footnotes, RT.FOOTNOTES)

    doc.add_table(rows=1, cols=2).cell(0, 1).text = "Cell text here"

    p = doc.add_paragraph("Page ")
    for fragment in ('<w:fldChar w:fldCharType="begin"/>', '<w:instrText xml:space="preserve"> PAGE </w:instrText>',
                     '<w:fldChar w:fldCharType="separate"/>', "<w:t>1</w:t>", '<w:fldChar w:fldCharType="end"/>'):
        p._p.append(el(f"<w:r>{fragment}</w:r>"))
    p.add_run(" of the report.")

    p = doc.add_paragraph("A picture: ")
    p.add_run().add_picture(io.BytesIO(png()))
    p.add_run(" of a flag.")

    p = doc.add_paragraph("Before the box ")
    p._p.append(etree.fromstring(TEXT_BOX))
    p.add_run(" after the box.")

    p = doc.add_paragraph("Name: ")
    p._p.append(el('<w:sdt><w:sdtPr><w:alias w:val="Name"/><w:placeholder><w:docPart w:val="DefaultPlaceholder_1"/>'
                   "</w:placeholder></w:sdtPr><w:sdtContent><w:r><w:t>John Smith</w:t></w:r></w:sdtContent></w:sdt>"))
    glossary = Part(PackURI("/word/glossary/document.xml"), CT.WML_DOCUMENT_GLOSSARY, GLOSSARY.encode(),
                    doc.part.package)
    doc.part.relate_to(glossary, RT.GLOSSARY_DOCUMENT)
    p._p.append(el('<w:ins w:id="1" w:author="A"><w:r><w:t xml:space="preserve"> inserted words</w:t></w:r></w:ins>'))
    p._p.append(el('<w:del w:id="2" w:author="A"><w:r><w:delText> deleted words</w:delText></w:r></w:del>'))
    p._p.append(el('<w:r><w:t xml:space="preserve"> and a </w:t><w:sym w:font="Wingdings" w:char="F04A"/>'
                   '<w:t>.</w:t><w:tab/><w:t>Tabbed</w:t><w:br/><w:t>Second line</w:t><w:br w:type="page"/>'
                   "<w:t>Next page</w:t></w:r>"))
    p._p.append(el('<w:fldSimple w:instr=" NUMPAGES "><w:r><w:t>3</w:t></w:r></w:fldSimple>'))
    # An empty paragraph whose mark (inserted as a tracked change) is bold 14 pt, then a section break.
    doc.add_paragraph()._p.get_or_add_pPr().append(
        el('<w:rPr><w:ins w:id="3" w:author="A"/><w:b/><w:sz w:val="28"/></w:rPr>'))
    doc.add_section()
    doc.save(str(path))


@pytest.fixture(scope="module")
def built(tmp_path_factory, prefect_api) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("built")
    (root / "src").mkdir()
    build_document(root / "src" / "built.docx")
    out = {"source": root / "src" / "built.docx"}
    for engine, to in (("identity", "fr"), ("pseudo", "fr,ar")):
        rows = translate_folder(root / "src", root / engine, engine, to=to)
        assert [(r["status"], r["error"], r["n_spans_lost"]) for r in rows] == [("ok", None, 0)] * len(to.split(","))
        out[engine] = root / engine / "fr" / "built.docx"
    out["pseudo-ar"] = root / "pseudo" / "ar" / "built.docx"
    return out


def test_built_document_round_trips(built) -> None:
    check_document(built["source"], built["identity"])
    check_document(built["source"], built["pseudo"], pseudo)
    check_document(built["source"], built["pseudo-ar"], pseudo, rtl=True)


def test_built_document_comes_through_translated(built) -> None:
    import docx

    doc = docx.Document(str(built["pseudo"]))
    body = [p for p in doc.paragraphs if p.text]
    bold = [r.text for r in body[0].runs if r.bold]
    assert bold == [pseudo("brown fox")] and body[0].text == pseudo("The quick brown fox jumps over the lazy dog.")
    assert doc.sections[0].header.paragraphs[0].text == pseudo("Confidential header text")
    assert doc.tables[0].cell(0, 1).text == pseudo("Cell text here")

    with zipfile.ZipFile(built["pseudo"]) as z:
        root = etree.fromstring(z.read("word/document.xml"))
        notes = etree.fromstring(z.read("word/footnotes.xml"))
        rels = z.read("word/_rels/document.xml.rels").decode()
    paragraphs = [p for p in root.iter(w("p")) if text(p)]
    texts = [text(p) for p in paragraphs]

    link = root.find(".//w:hyperlink", NS)
    assert "".join(link.itertext()) == pseudo("our website")
    assert f'Id="{link.get(R_ID)}"' in rels and "https://example.com/" in rels
    assert texts[1] == pseudo("Visit our website for more.")

    assert root.find(".//w:footnoteReference", NS).get(w("id")) == "1"
    assert "".join(notes.itertext()).strip() == pseudo("A footnote about foxes.")
    assert notes.find(".//w:footnote/w:p/w:r/w:footnoteRef", NS) is not None

    field = next(p for p in paragraphs if p.find(".//w:instrText", NS) is not None)
    assert [e.get(w("fldCharType")) for e in field.iter(w("fldChar"))] == ["begin", "separate", "end"]
    assert field.find(".//w:instrText", NS).text == " PAGE "
    assert text(field) == pseudo("Page 1 of the report.")

    blip = root.find(".//{http://schemas.openxmlformats.org/drawingml/2006/main}blip")
    assert text(next(blip.iterancestors(w("p")))) == pseudo("A picture:  of a flag.")

    boxes = [p for p in root.iter(w("p")) if next(p.iterancestors(w("txbxContent")), None) is not None]
    assert len(boxes) == 2 and {text(p) for p in boxes} == {pseudo("Text in a box.")}
    assert all([r.find("w:rPr/w:i", NS) is not None for r in p.iter(w("r"))] == [False, True, False] for p in boxes)
    assert pseudo("Before the box  after the box.") in texts

    last = paragraphs[-1]
    assert text(last) == pseudo("Name: John Smith inserted words and a .\tTabbed\nSecond line\nNext page3")
    assert last.find(".//w:del/w:r/w:delText", NS).text == " deleted words"
    assert last.find(".//w:sdt/w:sdtPr/w:alias", NS) is not None
    assert last.find(".//w:sym", NS).get(w("char")) == "F04A"
    assert [br.get(w("type")) for br in last.iter(w("br"))] == [None, "page"]
    assert last.find("w:fldSimple", NS).get(w("instr")) == " NUMPAGES "

    langs = {lang.get(w("val")) for lang in root.iter(w("lang"))}
    assert langs == {"fr-FR"}

    with zipfile.ZipFile(built["pseudo"]) as z:
        glossary = etree.fromstring(z.read("word/glossary/document.xml"))
    assert text(glossary.find(".//w:docPartBody/w:p", NS)) == pseudo("Click or tap here to enter a name.")
    assert glossary.find(".//w:docPartPr/w:name", NS).get(w("val")) == "DefaultPlaceholder_1"


def test_right_to_left_reaches_marks_sections_and_every_part(built) -> None:
    """Into Arabic the paragraph marks read right to left with their complex-script twins (after the tracked
    change, which comes first), every section break and the last section are right to left, and so is every
    paragraph of the header, footer, footnotes and placeholder text."""
    with zipfile.ZipFile(built["pseudo-ar"]) as z:
        parts = {name: etree.fromstring(z.read(name)) for name in z.namelist() if TEXT_PART.fullmatch(name)}
    assert set(parts) == {"word/document.xml", "word/header1.xml", "word/footer1.xml", "word/footnotes.xml",
                          "word/glossary/document.xml"}
    for name, root in parts.items():
        flags = direction(root)
        assert flags["p"] and flags["mark"] and all(all(f) for f in flags.values()), name
    body = parts["word/document.xml"]
    assert [s.getparent().tag for s in body.iter(w("sectPr"))] == [w("pPr"), w("body")]
    assert all(s.find("w:bidi", NS) is not None for s in body.iter(w("sectPr")))
    mark = body.find(".//w:pPr/w:rPr/w:ins/..", NS)
    assert [etree.QName(c).localname for c in mark] == ["ins", "b", "bCs", "sz", "szCs", "rtl"]
    assert mark.find("w:szCs", NS).get(w("val")) == "28"
    section = body.find("w:body/w:sectPr", NS)
    assert [etree.QName(c).localname for c in section][-3:] == ["cols", "bidi", "docGrid"]


def render_identity(path: Path, tgt: str) -> dict[str, bytes]:
    """A document through docx parse and render with its own text as the translation."""
    from babelflow.documents import Document
    from babelflow.tasks.formats import FormatOptions
    from babelflow.tasks.formats import docx as docx_format

    parsed = docx_format.parse(path.read_bytes(), FormatOptions())
    doc = Document(path.name, path.name, "docx", parsed.blocks, parsed.skeleton, src_lang="en_XX")
    return members_of(docx_format.render(doc, list(doc.blocks), tgt))


@pytest.mark.parametrize(("tgt", "attribute", "tag"), [
    ("fr_XX", "val", "fr-FR"), ("ru_RU", "val", "ru-RU"), ("zh_CN", "eastAsia", "zh-CN"),
    ("ja_XX", "eastAsia", "ja-JP"), ("ko_KR", "eastAsia", "ko-KR"), ("hi_IN", "bidi", "hi-IN"),
    ("th_TH", "bidi", "th-TH"), ("ta_IN", "bidi", "ta-IN"), ("he_IL", "bidi", "he-IL"), ("ar_AR", "bidi", "ar-SA")])
def test_language_tag_in_the_attribute_of_its_script(built, tgt, attribute, tag) -> None:
    """w:lang names one language per script class: w:val for Latin (Cyrillic, Greek...), w:eastAsia for
    Chinese, Japanese and Korean, w:bidi for complex scripts, left to right (Hindi, Thai) or not. The target
    goes in its own attribute, in every translated run and the document default; the others stay as they were."""
    source, out = members(built["source"]), render_identity(built["source"], tgt)

    def default(styles: bytes) -> dict[str, str]:
        return dict(etree.fromstring(styles).find("w:docDefaults/w:rPrDefault/w:rPr/w:lang", NS).attrib)

    assert default(out["word/styles.xml"]) == {**default(source["word/styles.xml"][1]), w(attribute): tag}
    body = etree.fromstring(out["word/document.xml"])
    runs = {t.getparent() for t in body.iter(w("t"))}
    assert runs and [dict(r.find("w:rPr/w:lang", NS).attrib) for r in runs] == [{w(attribute): tag}] * len(runs)


def test_reordered_translation_keeps_markup_well_formed(tmp_path) -> None:
    """A translation that moves the bold words and splits the link still renders valid runs."""
    import docx

    from babelflow.documents import Block, Document
    from babelflow.tasks.formats import FormatOptions
    from babelflow.tasks.formats import docx as docx_format

    build_document(tmp_path / "in.docx")
    data = (tmp_path / "in.docx").read_bytes()
    parsed = docx_format.parse(data, FormatOptions())
    doc = Document("in.docx", "in.docx", "docx", parsed.blocks, parsed.skeleton)
    i = next(i for i, b in enumerate(doc.blocks) if b.text.startswith("The quick"))
    j = next(i for i, b in enumerate(doc.blocks) if b.text.startswith("Visit"))
    bold = next(r for a, b, r in doc.blocks[i].spans if doc.blocks[i].text[a:b] == "brown fox")
    plain = next(r for a, b, r in doc.blocks[i].spans if a == 0)
    link = min(r for _, _, r in doc.blocks[j].spans)  # wrappers come first
    styled = next(r for a, b, r in doc.blocks[j].spans if doc.blocks[j].text[a:b] == "our website" and r != link)
    blocks = [None] * len(doc.blocks)
    blocks[i] = Block("Renard brun rapide", [(0, 12, bold), (7, 18, plain)])
    blocks[j] = Block("Voir notre site web ici", [(5, 10, link), (19, 23, link), (3, 17, styled)])
    out = docx_format.render(doc, blocks, "de_DE")
    assert docx_format.render(doc, blocks, "de_DE") == out, "render does not change the skeleton"
    (tmp_path / "out.docx").write_bytes(out)
    first = next(p for p in docx.Document(str(tmp_path / "out.docx")).paragraphs if p.text.startswith("Renard"))
    assert [(r.text, bool(r.bold)) for r in first.runs] == [("Renard ", True), ("brun ", True), ("rapide", False)]
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(out)).read("word/document.xml"))
    second = next(p for p in root.iter(w("p")) if "".join(p.itertext()).startswith("Voir"))
    assert ["".join(h.itertext()) for h in second.iter(w("hyperlink"))] == ["notre", " ici"]
    assert {lang.get(w("val")) for lang in second.iter(w("lang"))} == {"de-DE"}
    untouched = members_of(docx_format.render(doc, [None] * len(doc.blocks), "fr_XX"))
    assert {k for k, v in untouched.items() if v != members_of(data)[k]} == {"word/styles.xml"}


# --- LibreOffice ----------------------------------------------------------------------------------

ODF_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
ODF_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_converts_outputs(corpus_runs, built, tmp_path) -> None:
    outputs = [corpus_runs["pseudo"] / name for name in ("comments-rich-para.docx", "having-images.docx",
                                                          "tbl-having-tables.docx", "sct-first-page-hdrftr.docx")]
    outputs.append(built["pseudo"])

    log = soffice(tmp_path, "pdf", *outputs, timeout=180)
    for path in outputs:
        pdf = tmp_path / "converted" / f"{path.stem}.pdf"
        assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000, log
    soffice(tmp_path, "txt:Text (encoded):UTF8", built["pseudo"], timeout=180)
    seen = (tmp_path / "converted" / "built.txt").read_text(encoding="utf-8-sig")
    assert pseudo("The quick brown fox jumps over the lazy dog.") in seen and "quick" not in seen

    # Into Arabic, LibreOffice lays out every paragraph with text, every table and every page (the page
    # style of each section, Standard where none is named) right to left.
    arabic = [built["pseudo-ar"], *(corpus_runs["pseudo-ar"] / n
                                    for n in ("par-alignment.docx", "hdr-header-footer.docx"))]
    soffice(tmp_path, "fodt", *arabic, timeout=180)
    for path in arabic:
        root = etree.parse(str(tmp_path / "converted" / f"{path.stem}.fodt")).getroot()
        mode = {s.get(f"{{{ODF_STYLE}}}name"): p.get(f"{{{ODF_STYLE}}}writing-mode")
                for s in root.iter(f"{{{ODF_STYLE}}}style") for p in s if p.tag.endswith(("paragraph-properties",
                                                                                           "table-properties"))}
        paragraphs = [p for p in root.iter(f"{{{ODF_TEXT}}}p", f"{{{ODF_TEXT}}}h") if "".join(p.itertext()).strip()]
        tables = list(root.iter(f"{{{ODF_TABLE}}}table"))
        assert paragraphs and {mode.get(p.get(f"{{{ODF_TEXT}}}style-name")) for p in paragraphs} == {"rl-tb"}, path
        assert {mode.get(t.get(f"{{{ODF_TABLE}}}style-name")) for t in tables} <= {"rl-tb"}, path
        layouts = {p.get(f"{{{ODF_STYLE}}}name"): p.find(f"{{{ODF_STYLE}}}page-layout-properties")
                   for p in root.iter(f"{{{ODF_STYLE}}}page-layout")}
        pages = {m.get(f"{{{ODF_STYLE}}}name"): layouts[m.get(f"{{{ODF_STYLE}}}page-layout-name")]
                 for m in root.iter(f"{{{ODF_STYLE}}}master-page")}
        used = {"Standard"} | {s.get(f"{{{ODF_STYLE}}}master-page-name") for s in root.iter(f"{{{ODF_STYLE}}}style")
                               if s.get(f"{{{ODF_STYLE}}}master-page-name")}
        assert {pages[name].get(f"{{{ODF_STYLE}}}writing-mode") for name in used} == {"rl-tb"}, path


# --- bad input ------------------------------------------------------------------------------------


def test_bad_documents_fail_alone(cli, tmp_path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    good = corpus("docx", "par-hyperlinks.docx")
    shutil.copy(good, src / "good.docx")
    data = good.read_bytes()
    (src / "text.docx").write_text("just some text, not a zip")
    (src / "truncated.docx").write_bytes(data[: len(data) // 2])
    (src / "legacy.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024)
    with zipfile.ZipFile(src / "sheet.docx", "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    entity = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]><w:document xmlns:w="{W}">'
              "<w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>")
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    laughs = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY l0 "lol">{lol}]><w:document xmlns:w="{W}">'
              "<w:body><w:p><w:r><w:t>&l9;</w:t></w:r></w:p></w:body></w:document>")
    original = members_of(data)["word/document.xml"]
    for name, body, method in [("broken.docx", b"<w:document><w:body>", zipfile.ZIP_DEFLATED),
                               ("entity.docx", entity.encode(), zipfile.ZIP_DEFLATED),
                               ("laughs.docx", laughs.encode(), zipfile.ZIP_DEFLATED),
                               ("crc.docx", original, zipfile.ZIP_STORED),
                               ("damaged.docx", original, zipfile.ZIP_DEFLATED)]:
        with zipfile.ZipFile(good) as zin, zipfile.ZipFile(src / name, "w", method) as zout:
            for info in zin.infolist():
                zout.writestr(info.filename, body if info.filename == "word/document.xml" else zin.read(info))
        if name in ("crc.docx", "damaged.docx"):  # flip bytes inside the stored or compressed document part
            packed = bytearray((src / name).read_bytes())
            with zipfile.ZipFile(src / name) as z:
                at = z.getinfo("word/document.xml").header_offset + 30 + len("word/document.xml") + 200
            packed[at : at + 8] = bytes(b ^ 0x55 for b in packed[at : at + 8])
            (src / name).write_bytes(bytes(packed))

    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(src / "bomb.docx", "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
        zout.writestr("word/media/zeros.bin", b"\0" * (64 << 20))  # 64 MiB that pack into ~64 KiB
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(src / "slip.docx", "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
        zout.writestr("../../evil.txt", b"outside")

    code, _, _ = cli("translate", src, "--to", "fr", "--from", "en", "--out", tmp_path / "out", "--engine", "pseudo")
    assert code == 1
    rows = {Path(r["source"]).name: r for r in pq.read_table(tmp_path / "out" / "manifest.parquet").to_pylist()}
    assert rows.pop("good.docx")["status"] == "ok"
    assert "zip bomb" in rows["bomb.docx"]["error"] and "unsafe zip member name" in rows["slip.docx"]["error"]
    assert not list(tmp_path.rglob("evil.txt"))
    errors = {name: r["error"] for name, r in rows.items() if r["status"] == "error"}
    assert set(errors) == set(rows)
    assert "not a readable DOCX package" in errors["text.docx"]
    assert "not a readable DOCX package" in errors["truncated.docx"]
    assert "legacy .doc" in errors["legacy.docx"]
    assert "not a Word document but an Excel workbook" in errors["sheet.docx"]
    assert "word/document.xml: XML does not parse" in errors["broken.docx"]
    assert "DTD" in errors["entity.docx"] and "entity amplification" in errors["laughs.docx"]
    assert "zip member word/document.xml fails its CRC check" in errors["crc.docx"]
    assert "not a readable DOCX package" in errors["damaged.docx"]
    assert not any((tmp_path / "out" / "fr" / name).exists() for name in errors)


def test_core_properties_are_the_part_the_standard_relationship_names(cli, tmp_path) -> None:
    """Packages in the wild relate a second core-properties part with the misspelt type
    `officedocument/2006/.../core-properties`; Office reads only the standard one, and so do we."""
    import docx

    document = docx.Document()
    document.add_paragraph("A short report.")
    document.core_properties.title = "Quarterly report"
    built = io.BytesIO()
    document.save(built)
    wrong = ('<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
             ' xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Stale title</dc:title></cp:coreProperties>')
    src = tmp_path / "src"
    src.mkdir()
    with zipfile.ZipFile(built) as old, zipfile.ZipFile(src / "two-cores.docx", "w") as new:
        for info in old.infolist():
            data = old.read(info.filename)
            if info.filename == "_rels/.rels":
                data = data.replace(b"<Relationship ", b'<Relationship Id="rIdStale" Type="http://schemas.openxmlformats'
                                    b'.org/officedocument/2006/relationships/metadata/core-properties"'
                                    b' Target="docProps/stale.xml"/><Relationship ', 1)
            new.writestr(info, data)
        new.writestr("docProps/stale.xml", wrong)
    code, said, err = cli("translate", src, "--to", "fr", "--from", "en", "--engine", "pseudo", "--out", tmp_path / "out")
    assert code == 0, said + err
    with zipfile.ZipFile(tmp_path / "out" / "fr" / "two-cores.docx") as out:
        assert pseudo("Quarterly report").encode() in out.read("docProps/core.xml")
        assert out.read("docProps/stale.xml") == wrong.encode()
