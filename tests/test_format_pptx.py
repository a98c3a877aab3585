"""PPTX: every corpus presentation and a hand-built one through `babelflow translate`, checked part by part."""

from __future__ import annotations

import copy
import io
import re
import shutil
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import CORPUS, corpus, libreoffice, soffice, translate_corpus, translate_folder, with_corpus
from lxml import etree
from protected_text import protected_positions, unprotected

from babelflow.tasks.engines.pseudo import pseudo

PPTX = sorted((CORPUS / "pptx").glob("*.pptx"))
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
PML = "http://schemas.openxmlformats.org/presentationml/2006/main"
C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
P188 = "http://schemas.microsoft.com/office/powerpoint/2018/8/main"  # modern comments
NS = {"a": A, "p": PML, "c": C, "r": R, "mc": MC, "p188": P188}
# The parts whose paragraphs are translated; presentation.xml takes the default language; all else is copied.
TEXT_PART = re.compile(r"ppt/(slides/slide\d+|notesSlides/notesSlide\d+|charts/chart\d+|diagrams/(data|drawing)\d+"
                       r"|comments/(comment\d+|modernComment_[^/]+))\.xml")
LEGACY_TEXT = f"{{{PML}}}text"  # a legacy comment's plain text
DC, CP = "http://purl.org/dc/elements/1.1/", "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
CORE = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
PROPERTIES = (f"{{{DC}}}title", f"{{{DC}}}subject", f"{{{DC}}}description", f"{{{CP}}}keywords")
# Run properties that record proofing (what translation sets or drops), not formatting.
PROOFING = ("lang", "altLang", "dirty", "err", "smtClean", "smtId")


def a(name: str) -> str:
    return f"{{{A}}}{name}"


@pytest.fixture(scope="module")
def corpus_runs(tmp_path_factory, prefect_api) -> dict[str, Path]:
    return translate_corpus("PPTX", PPTX, tmp_path_factory.mktemp("pptx"))


def members(path: Path | bytes) -> dict[str, tuple[int, bytes]]:
    with zipfile.ZipFile(io.BytesIO(path) if isinstance(path, bytes) else path) as z:
        return {i.filename: (i.compress_type, z.read(i.filename)) for i in z.infolist()}


def canonical(element: etree._Element | None, drop: tuple[str, ...] = PROOFING) -> bytes:
    """The element, canonical, without the proofing attributes of its run properties."""
    if element is None:
        return b""
    element = copy.deepcopy(element)
    element.tail = None
    for el in element.iter(a("rPr"), a("endParaRPr"), a("defRPr")):
        for name in drop:
            el.attrib.pop(name, None)
    return etree.tostring(element, method="c14n", exclusive=True)


def content(p: etree._Element) -> list[tuple]:
    """The paragraph's content in order: each character as ("char", char, run format), a field or any other
    object as ("object", its XML without the proofing attributes). A legacy comment is plain text."""
    if p.tag == LEGACY_TEXT:
        return [("char", c, b"") for c in p.text or ""]
    out = []
    for el in p:
        if el.tag == a("r"):  # a run without text (PowerPoint leaves some) shows nothing
            out += [("char", c, canonical(el.find(a("rPr")))) for c in el.findtext(a("t")) or ""]
        elif el.tag == a("br"):
            out.append(("char", "\n", canonical(el.find(a("rPr")))))
        elif el.tag not in (a("pPr"), a("endParaRPr")):
            out.append(("object", canonical(el)))
    return out


def text(p: etree._Element) -> str:
    return "".join(item[1] for item in content(p) if item[0] == "char")


def paragraphs(name: str, root: etree._Element) -> list[etree._Element]:
    """The paragraphs translation reads: all of a slide, notes, SmartArt or modern comments part; a chart's
    titles and labels; the text of legacy comments."""
    if "/charts/" in name:
        return [p for rich in root.iter(f"{{{C}}}rich") for p in rich.iter(a("p"))]
    if root.tag == f"{{{PML}}}cmLst":
        return list(root.iter(LEGACY_TEXT))
    return list(root.iter(a("p")))


def languages(p: etree._Element) -> set[str | None]:
    """The language of the paragraph's runs and breaks, and of its end mark where it has one."""
    props = [r.find(a("rPr")) for r in p if r.tag in (a("r"), a("br"))] + p.findall(a("endParaRPr"))
    return {rpr.get("lang") if rpr is not None else None for rpr in props}


def without_rich(root: etree._Element) -> bytes:
    """A chart without its text (c:rich) and editing language: its data, cached values and formats."""
    root = copy.deepcopy(root)
    for el in [*root.iter(f"{{{C}}}rich"), *root.iter(f"{{{C}}}lang")]:
        el.getparent().remove(el)
    return etree.tostring(root, method="c14n", exclusive=True)


def check_presentation(source: Path, output: Path | bytes, expect=lambda c: c, tag: str = "fr-FR",
                       rtl: bool = False) -> None:
    """Same package, same members; per paragraph, every character `expect(source char)` with its formatting and
    every field and other object as it was; the core properties a reader sees translated and the rest as it was."""
    before, after = members(source), members(output)
    assert list(after) == list(before)
    assert [c for c, _ in after.values()] == [c for c, _ in before.values()]
    rels = etree.fromstring(before["_rels/.rels"][1])
    core = {r.get("Target").lstrip("/") for r in rels if r.get("Type") == CORE}  # the one PowerPoint reads
    for name, (_, data) in before.items():
        new_data = after[name][1]
        if name in core:
            old, new = etree.fromstring(data), etree.fromstring(new_data)
            translated = [(e.tag, "".join(map(expect, e.text)) if e.tag in PROPERTIES and e.text else e.text)
                          for e in old]
            assert translated == [(e.tag, e.text) for e in new]
            continue
        if name == "ppt/presentation.xml":
            old, new = etree.fromstring(data), etree.fromstring(new_data)
            assert canonical(new, ("lang", "altLang")) == canonical(old, ("lang", "altLang"))
            defaults = new.find("p:defaultTextStyle/a:defPPr/a:defRPr", NS)
            assert defaults is None or defaults.get("lang") == tag
            continue
        if not TEXT_PART.fullmatch(name) or new_data == data:
            assert new_data == data, name
            continue
        old, new = etree.fromstring(data), etree.fromstring(new_data)
        if "/charts/" in name:
            assert without_rich(new) == without_rich(old), name
        old_ps, new_ps = paragraphs(name, old), paragraphs(name, new)
        assert len(new_ps) == len(old_ps), name
        for x, y in zip(old_ps, new_ps):
            source_content, got = content(x), content(y)
            kept = protected_positions(text(x))  # URLs and the like may stay as they are (tasks/protect)
            chars = [c for kind, c, *_ in got if kind == "char"]
            expected, i = [], 0
            for kind, c, *rest in source_content:
                if kind == "char":
                    c = chars[i] if i in kept and i < len(chars) and chars[i] == c else expect(c)
                    i += 1
                expected.append((kind, c, *rest))
            assert got == expected, name
            if text(x).strip() and y.tag == a("p"):
                assert languages(y) == {tag}, name
            if not rtl:
                assert canonical(y.find(a("pPr"))) == canonical(x.find(a("pPr"))), name


@pytest.mark.parametrize("path", with_corpus([pytest.param(p, id=p.name) for p in PPTX]))
def test_identity_round_trip(corpus_runs, path) -> None:
    check_presentation(path, corpus_runs["identity"] / path.name)


@pytest.mark.parametrize("path", with_corpus([pytest.param(p, id=p.name) for p in PPTX]))
def test_pseudo_translates_every_letter_and_nothing_else(corpus_runs, path) -> None:
    output = corpus_runs["pseudo"] / path.name
    check_presentation(path, output, pseudo)
    with zipfile.ZipFile(output) as z:
        for name in filter(TEXT_PART.fullmatch, z.namelist()):
            root = etree.fromstring(z.read(name))
            visible = "".join(t.text or "" for p in paragraphs(name, root) for t in p.iter(a("t"))
                              if t.getparent().tag != a("fld"))
            assert not re.search("[A-Za-z]", unprotected(visible)), name


def directions(name: str, root: etree._Element) -> list[str | None]:
    """Per paragraph, its own direction (a:pPr rtl), None where it sets none."""
    return [x.find(a("pPr")).get("rtl") if x.find(a("pPr")) is not None else None for x in paragraphs(name, root)]


@pytest.mark.parametrize("path", with_corpus([pytest.param(p, id=p.name) for p in PPTX]))
def test_right_to_left_target_reads_right_to_left(corpus_runs, path) -> None:
    """Into Arabic every paragraph reads right to left, its alignment mirrored (left is right, right is left:
    DrawingML's are absolute), and every table's columns run right to left."""
    output = corpus_runs["pseudo-ar"] / path.name
    check_presentation(path, output, pseudo, tag="ar-SA", rtl=True)
    before, after = members(path), members(output)
    for name in filter(TEXT_PART.fullmatch, after):
        old, new = etree.fromstring(before[name][1]), etree.fromstring(after[name][1])
        if paragraphs(name, old):
            assert set(directions(name, new)) == {"1"}, name
        for x, y in zip(paragraphs(name, old), paragraphs(name, new)):
            align = x.find(a("pPr")).get("algn") if x.find(a("pPr")) is not None else None
            assert y.find(a("pPr")).get("algn") == {"l": "r", "r": "l"}.get(align, align) or align is None, name
            props = {k: v for k, v in y.find(a("pPr")).attrib.items() if k not in ("rtl", "algn")}
            assert props == {k: v for k, v in (x.find(a("pPr")).attrib if x.find(a("pPr")) is not None else {}).items()
                             if k not in ("rtl", "algn")}, name
        assert all(t.get("rtl") == "1" for t in new.iterfind(".//a:tbl/a:tblPr", NS)), name
        assert len(new.findall(".//a:tbl/a:tblPr", NS)) == len(new.findall(".//a:tbl", NS))


@pytest.mark.parametrize("path", with_corpus([pytest.param(p, id=p.name) for p in PPTX]))
def test_left_to_right_target_keeps_direction_and_alignment(corpus_runs, path) -> None:
    before, after = members(path), members(corpus_runs["pseudo"] / path.name)
    for name in filter(TEXT_PART.fullmatch, before):
        old, new = etree.fromstring(before[name][1]), etree.fromstring(after[name][1])
        assert directions(name, new) == directions(name, old), name
        assert [canonical(t) for t in new.iter(a("tblPr"))] == [canonical(t) for t in old.iter(a("tblPr"))], name


def test_notes_charts_smartart_and_properties(corpus_runs) -> None:
    """Notes are translated and their slide number field kept; chart titles and labels are translated, the
    chart's cached values and its embedded workbook are not; SmartArt's data and its drawing agree."""
    with zipfile.ZipFile(corpus_runs["pseudo"] / "prs-notes.pptx") as z:
        notes = etree.fromstring(z.read("ppt/notesSlides/notesSlide1.xml"))
    assert [text(p) for p in notes.iter(a("p"))] == [pseudo("Notes"), ""]
    field = notes.find(".//a:fld", NS)
    assert field.get("type") == "slidenum" and field.find("a:t", NS).text == "1"
    assert field.find("a:rPr", NS).get("lang") == "fr-FR"

    source, output = corpus("pptx", "cht-axis-props.pptx"), corpus_runs["pseudo"] / "cht-axis-props.pptx"
    with zipfile.ZipFile(source) as z:
        old = etree.fromstring(z.read("ppt/charts/chart8.xml"))
    with zipfile.ZipFile(output) as z:
        chart = etree.fromstring(z.read("ppt/charts/chart8.xml"))
    assert [text(p) for p in paragraphs("ppt/charts/chart8.xml", chart)] == [pseudo("Foobar")]
    assert chart.find("c:lang", NS).get("val") == "fr-FR"
    cached = [v.text for v in old.iter(f"{{{C}}}v")]
    assert cached and [v.text for v in chart.iter(f"{{{C}}}v")] == cached
    assert any(re.search("[A-Za-z]", v) for v in cached)  # series names and categories stay as the data has them

    with zipfile.ZipFile(corpus_runs["pseudo"] / "shp-shapes.pptx") as z:
        data = etree.fromstring(z.read("ppt/diagrams/data1.xml"))
        drawing = etree.fromstring(z.read("ppt/diagrams/drawing1.xml"))
    shown = [text(p) for p in drawing.iter(a("p")) if text(p).strip()]
    assert shown == [text(p) for p in data.iter(a("p")) if text(p).strip()]
    assert shown == [pseudo("shapes[5]"), pseudo(" Smart Art")]

    with zipfile.ZipFile(corpus_runs["pseudo"] / "no-slides.pptx") as z:
        core = etree.fromstring(z.read("docProps/core.xml"))
    assert core.find(f"{{{DC}}}title").text == pseudo("Empty Default White PowerPoint Presentation")
    # A package that relates a second core properties part with a misspelt type: the one PowerPoint reads is translated.
    with zipfile.ZipFile(corpus_runs["pseudo"] / "test_slides.pptx") as z:
        titles = [etree.fromstring(z.read(f"docProps/{name}.xml")).find(f"{{{DC}}}title").text
                  for name in ("core", "core0")]
    assert titles == [pseudo("python-pptx was here!"), "Presentation"]


# --- a hand-built presentation --------------------------------------------------------------------

SLIDE = f"""<p:sld xmlns:a="{A}" xmlns:r="{R}" xmlns:p="{PML}" xmlns:mc="{MC}"
 xmlns:p14="http://schemas.microsoft.com/office/powerpoint/2010/main"><p:cSld><p:spTree>
<p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/>
<p:sp><p:nvSpPr><p:cNvPr id="2" name="Title 1"/><p:cNvSpPr><a:spLocks noGrp="1"/></p:cNvSpPr><p:nvPr>
 <p:ph type="title"/>
 </p:nvPr></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:rPr lang="en-US" dirty="0"/>
 <a:t>The quick </a:t>
 </a:r><a:r><a:rPr lang="en-US" b="1" dirty="0"/><a:t>brown fox</a:t></a:r><a:r><a:rPr lang="en-US" dirty="0" err="1"/>
 <a:t> jumps.</a:t></a:r><a:endParaRPr lang="en-US" dirty="0"/></a:p></p:txBody></p:sp>
<p:sp><p:nvSpPr><p:cNvPr id="3" name="Content 2"/><p:cNvSpPr><a:spLocks noGrp="1"/></p:cNvSpPr><p:nvPr><p:ph idx="1"/>
 </p:nvPr></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/><a:lstStyle/>
 <a:p><a:r><a:rPr lang="en-US"/><a:t>Visit </a:t></a:r><a:r><a:rPr lang="en-US"><a:hlinkClick r:id="rId9"/></a:rPr>
  <a:t>our website</a:t></a:r><a:r><a:rPr lang="en-US"/><a:t> for more.</a:t></a:r></a:p>
 <a:p><a:r><a:rPr lang="en-US"/><a:t>First line</a:t></a:r><a:br><a:rPr lang="en-US" sz="1000"/></a:br>
  <a:r><a:rPr lang="en-US"/><a:t>Second line</a:t></a:r></a:p>
 <a:p><a:r><a:rPr lang="en-US"/><a:t>This is slide </a:t></a:r><a:fld id="{{B6F15528-21DE-4FAA-801E-634DDDAF4B2B}}"
  type="slidenum"><a:rPr lang="en-US"/><a:t>1</a:t></a:fld><a:r><a:rPr lang="en-US"/><a:t> of the deck.</a:t></a:r>
 </a:p>
 <a:p><a:pPr algn="ctr"/><a:r><a:rPr lang="en-US"/><a:t>Centred text here.</a:t></a:r></a:p>
 <a:p><a:pPr lvl="1"/><a:r><a:rPr lang="zh-CN" altLang="en-US"/><a:t>A second level point.</a:t></a:r></a:p>
 <a:p><a:endParaRPr lang="en-US"/></a:p>
</p:txBody></p:sp>
<p:sp><p:nvSpPr><p:cNvPr id="4" name="Slide Number 3"/><p:cNvSpPr><a:spLocks noGrp="1"/></p:cNvSpPr><p:nvPr>
 <p:ph type="sldNum" sz="quarter" idx="12"/></p:nvPr></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/><a:lstStyle/><a:p>
 <a:fld id="{{B6F15528-21DE-4FAA-801E-634DDDAF4B2B}}" type="slidenum"><a:rPr lang="en-US"/><a:t>1</a:t></a:fld>
 <a:endParaRPr lang="en-US"/></a:p></p:txBody></p:sp>
<p:sp><p:nvSpPr><p:cNvPr id="5" name="TextBox 4"/><p:cNvSpPr txBox="1"/><p:nvPr/></p:nvSpPr><p:spPr><a:xfrm>
 <a:off x="457200" y="5500000"/><a:ext cx="4000000" cy="400000"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/>
 </a:prstGeom>
 </p:spPr><p:txBody><a:bodyPr wrap="square"/><a:lstStyle/><a:p><a:pPr algn="r"/><a:r><a:rPr lang="en-US" i="1"/>
 <a:t>Right aligned words.</a:t></a:r></a:p></p:txBody></p:sp>
<p:grpSp><p:nvGrpSpPr><p:cNvPr id="6" name="Group 5"/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr><a:xfrm>
 <a:off x="5000000" y="5500000"/><a:ext cx="3000000" cy="400000"/><a:chOff x="5000000" y="5500000"/>
 <a:chExt cx="3000000" cy="400000"/></a:xfrm></p:grpSpPr>
 <p:sp><p:nvSpPr><p:cNvPr id="7" name="TextBox 6"/><p:cNvSpPr txBox="1"/><p:nvPr/></p:nvSpPr><p:spPr><a:xfrm>
 <a:off x="5000000" y="5500000"/><a:ext cx="3000000" cy="400000"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/>
 </a:prstGeom></p:spPr><p:txBody><a:bodyPr wrap="square"/><a:lstStyle/><a:p><a:r><a:rPr lang="en-US"/>
 <a:t>Grouped words here.</a:t></a:r></a:p></p:txBody></p:sp></p:grpSp>
<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="8" name="Table 7"/><p:cNvGraphicFramePr>
 <a:graphicFrameLocks noGrp="1"/>
 </p:cNvGraphicFramePr><p:nvPr/></p:nvGraphicFramePr><p:xfrm><a:off x="457200" y="6000000"/>
 <a:ext cx="4000000" cy="370840"/>
 </p:xfrm><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/table"><a:tbl>
 <a:tblPr firstRow="1" bandRow="1"/><a:tblGrid><a:gridCol w="2000000"/><a:gridCol w="2000000"/></a:tblGrid>
 <a:tr h="370840">
 <a:tc><a:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:rPr lang="en-US"/><a:t>Cell text here</a:t></a:r></a:p></a:txBody>
 <a:tcPr/></a:tc><a:tc><a:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:rPr lang="en-US"/><a:t>42</a:t></a:r></a:p>
 </a:txBody><a:tcPr/></a:tc></a:tr></a:tbl></a:graphicData></a:graphic></p:graphicFrame>
<mc:AlternateContent><mc:Choice Requires="p14"><p:sp><p:nvSpPr><p:cNvPr id="9" name="TextBox 8"/><p:cNvSpPr txBox="1"/>
 <p:nvPr/></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:rPr lang="en-US"/>
 <a:t>Alternate text.</a:t>
 </a:r></a:p></p:txBody></p:sp></mc:Choice><mc:Fallback><p:sp><p:nvSpPr><p:cNvPr id="9" name="TextBox 8"/>
 <p:cNvSpPr txBox="1"/><p:nvPr/></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:rPr lang="en-US"/>
 <a:t>Alternate text.</a:t></a:r></a:p></p:txBody></p:sp></mc:Fallback></mc:AlternateContent>
</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr>
<p:transition spd="slow"><p:fade/></p:transition><p:timing><p:tnLst><p:par><p:cTn id="1" dur="indefinite"
 restart="never" nodeType="tmRoot"/></p:par></p:tnLst></p:timing></p:sld>"""
RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slideLayout"
 Target="../slideLayouts/slideLayout2.xml"/>
<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
 Target="https://example.com/" TargetMode="External"/></Relationships>"""


LEGACY_COMMENTS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<p:cmLst xmlns:a="{A}" xmlns:r="{R}" xmlns:p="{PML}"><p:cm authorId="0" dt="2024-05-02T10:15:00.000" idx="1">
<p:pos x="10" y="10"/><p:text>Please check the title before Friday.</p:text></p:cm>
<p:cm authorId="0" dt="2024-05-02T10:16:00.000" idx="2"><p:pos x="10" y="106"/><p:text>42</p:text></p:cm></p:cmLst>"""
COMMENT_AUTHORS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<p:cmAuthorLst xmlns:a="{A}" xmlns:r="{R}" xmlns:p="{PML}"><p:cmAuthor id="0" name="Ann Lee" initials="AL" lastIdx="2"
 clrIdx="0"/></p:cmAuthorLst>"""
ANN, BOB = "{2F1D3A4B-5C6D-4E7F-8091-A2B3C4D5E6F7}", "{8E9F0A1B-2C3D-4E5F-8A6B-7C8D9E0F1A2B}"
# PowerPoint 365 writes a comment's replies before its own text.
MODERN_COMMENTS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<p188:cmLst xmlns:a="{A}" xmlns:r="{R}" xmlns:p188="{P188}"><p188:cm id="{{6A1B2C3D-4E5F-4A6B-9C7D-8E9F0A1B2C3D}}"
 authorId="{BOB}" created="2024-05-03T09:00:00.000"><pc:sldMkLst
 xmlns:pc="http://schemas.microsoft.com/office/powerpoint/2013/main/command"><pc:docMk/><pc:sldMk cId="0" sldId="256"/>
</pc:sldMkLst><p188:pos x="1200" y="300"/><p188:replyLst><p188:reply id="{{7B2C3D4E-5F6A-4B7C-8D9E-0F1A2B3C4D5E}}"
 authorId="{ANN}" created="2024-05-03T09:30:00.000"><p188:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:rPr lang="en-US"/>
<a:t>Done, the title is shorter now.</a:t></a:r></a:p></p188:txBody></p188:reply></p188:replyLst>
<p188:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:rPr lang="en-US"/><a:t>Shorter title, </a:t></a:r><a:r>
<a:rPr lang="en-US" b="1"/><a:t>please</a:t></a:r><a:r><a:rPr lang="en-US"/><a:t>.</a:t></a:r></a:p><a:p><a:r>
<a:rPr lang="en-US"/><a:t>Thanks!</a:t></a:r></a:p></p188:txBody></p188:cm></p188:cmLst>"""
AUTHORS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<p188:authorLst xmlns:a="{A}" xmlns:r="{R}" xmlns:p188="{P188}"><p188:author id="{ANN}" name="Ann Lee" initials="AL"
 userId="Ann Lee" providerId="None"/><p188:author id="{BOB}" name="Bob Stone" initials="BS" userId="Bob Stone"
 providerId="None"/></p188:authorLst>"""
LEGACY, MODERN = "ppt/comments/comment1.xml", "ppt/comments/modernComment_100_5D8A4E2B.xml"
PRESENTATIONML = "application/vnd.openxmlformats-officedocument.presentationml"
# The parts and their content types.
COMMENTS = {LEGACY: (LEGACY_COMMENTS, f"{PRESENTATIONML}.comments+xml"),
            MODERN: (MODERN_COMMENTS, "application/vnd.ms-powerpoint.comments+xml"),
            "ppt/commentAuthors.xml": (COMMENT_AUTHORS, f"{PRESENTATIONML}.commentAuthors+xml"),
            "ppt/authors.xml": (AUTHORS, "application/vnd.ms-powerpoint.authors+xml")}
# Legacy and modern comments end their relationship types alike.
MODERN_RELS = "http://schemas.microsoft.com/office/2018/10/relationships"


def relationship(rid: str, kind: str, target: str) -> str:
    return f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"/>'


def with_comments(source: Path, path: Path, replaced: dict[str, str] | None = None) -> None:
    """`source`, its members `replaced`, with a legacy comment and a modern one with a reply on its first slide,
    and their authors related from the presentation, as PowerPoint writes them."""
    added = {
        "[Content_Types].xml": ("</Types>", "".join(f'<Override PartName="/{name}" ContentType="{kind}"/>'
                                                    for name, (_, kind) in COMMENTS.items())),
        "ppt/_rels/presentation.xml.rels": ("</Relationships>", relationship(
            "rId90", f"{R}/commentAuthors", "commentAuthors.xml") + relationship(
            "rId91", f"{MODERN_RELS}/authors", "authors.xml")),
        "ppt/slides/_rels/slide1.xml.rels": ("</Relationships>", relationship(
            "rId90", f"{R}/comments", f"../{LEGACY.removeprefix('ppt/')}") + relationship(
            "rId91", f"{MODERN_RELS}/comments", f"../{MODERN.removeprefix('ppt/')}")),
    }
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = (replaced or {}).get(info.filename, "").encode() or zin.read(info)
            if info.filename in added:
                end, extra = added[info.filename]
                data = data.replace(end.encode(), (extra + end).encode())
            zout.writestr(info, data)
        for name, (text, _) in COMMENTS.items():
            zout.writestr(name, text.encode())


def build_presentation(path: Path) -> None:
    """The corpus's test.pptx with its one slide replaced: placeholders, a link, a line break, fields, a text box,
    a group, a table, an mc:AlternateContent and a transition; and comments on it."""
    with_comments(corpus("pptx", "test.pptx"), path,
                  {"ppt/slides/slide1.xml": SLIDE, "ppt/slides/_rels/slide1.xml.rels": RELS})


@pytest.fixture(scope="module")
def built(tmp_path_factory, prefect_api) -> dict[str, Path]:
    corpus()
    root = tmp_path_factory.mktemp("built")
    (root / "src").mkdir()
    build_presentation(root / "src" / "built.pptx")
    out = {"source": root / "src" / "built.pptx"}
    for engine, to in (("identity", "fr"), ("pseudo", "fr,ar")):
        rows = translate_folder(root / "src", root / engine, engine, to=to)
        assert [(r["status"], r["error"], r["n_spans_lost"]) for r in rows] == [("ok", None, 0)] * len(to.split(","))
        out[engine] = root / engine / "fr" / "built.pptx"
    out["pseudo-ar"] = root / "pseudo" / "ar" / "built.pptx"
    return out


def slide(path: Path | bytes) -> etree._Element:
    return etree.fromstring(members(path)["ppt/slides/slide1.xml"][1])


def test_built_presentation_round_trips(built) -> None:
    check_presentation(built["source"], built["identity"])
    check_presentation(built["source"], built["pseudo"], pseudo)
    check_presentation(built["source"], built["pseudo-ar"], pseudo, tag="ar-SA", rtl=True)


def test_built_presentation_comes_through_translated(built) -> None:
    root = slide(built["pseudo"])
    ps = list(root.iter(a("p")))
    assert [text(p) for p in ps] == [pseudo(t) for t in (
        "The quick brown fox jumps.", "Visit our website for more.", "First line\nSecond line",
        "This is slide  of the deck.", "Centred text here.", "A second level point.", "", "", "Right aligned words.",
        "Grouped words here.", "Cell text here", "42", "Alternate text.", "Alternate text.")]
    title = ps[0]
    assert [(r.find("a:t", NS).text, r.find("a:rPr", NS).get("b")) for r in title.iter(a("r"))] == [
        (pseudo("The quick "), None), (pseudo("brown fox"), "1"), (pseudo(" jumps."), None)]
    assert not [r for r in root.iter(a("rPr")) if r.get("err") or r.get("dirty")]  # the source's proofing state
    link = ps[1].find(".//a:hlinkClick/../..", NS)
    assert link.find("a:t", NS).text == pseudo("our website")
    assert link.find(".//a:hlinkClick", NS).get(f"{{{R}}}id") == "rId9"
    assert "https://example.com/" in members(built["pseudo"])["ppt/slides/_rels/slide1.xml.rels"][1].decode()
    assert ps[2].find("a:br/a:rPr", NS).get("sz") == "1000"
    fields = [f for p in (ps[3], ps[7]) for f in p.iter(a("fld"))]
    assert [(f.get("type"), f.find("a:t", NS).text, f.find("a:rPr", NS).get("lang")) for f in fields] == [
        ("slidenum", "1", "fr-FR")] * 2
    assert [c.tag for c in ps[3]][:3] == [a("r"), a("fld"), a("r")]
    assert ps[5].find("a:r/a:rPr", NS).attrib == {"lang": "fr-FR", "altLang": "zh-CN"}
    assert ps[6].find("a:endParaRPr", NS).get("lang") == "en-US"  # an empty paragraph is not translated
    assert root.find("p:transition/p:fade", NS) is not None and root.find("p:timing", NS) is not None


def test_built_presentation_into_arabic(built) -> None:
    """Each paragraph right to left; alignment left where the source was right (its own or the master's: the
    slide number), right where it was left (the body and text boxes, by default), centred where it was."""
    ps = list(slide(built["pseudo-ar"]).iter(a("p")))
    props = [(p.find("a:pPr", NS).get("rtl"), p.find("a:pPr", NS).get("algn")) for p in ps]
    assert props == [("1", None), ("1", "r"), ("1", "r"), ("1", "r"), ("1", "ctr"), ("1", "r"), ("1", "r"),
                     ("1", "l"), ("1", "l"), ("1", "r"), ("1", "r"), ("1", "r"), ("1", "r"), ("1", "r")]
    assert ps[5].find("a:pPr", NS).get("lvl") == "1"
    table = slide(built["pseudo-ar"]).find(".//a:tbl/a:tblPr", NS)
    assert table.attrib == {"firstRow": "1", "bandRow": "1", "rtl": "1"}


def test_right_to_left_source_into_left_to_right_target(built, tmp_path) -> None:
    """The Arabic output translated into French reads left to right again, aligned as the source was."""
    (tmp_path / "src").mkdir()
    shutil.copy(built["pseudo-ar"], tmp_path / "src" / "built.pptx")
    rows = translate_folder(tmp_path / "src", tmp_path / "out", "identity", src_lang="ar")
    assert [(r["status"], r["error"]) for r in rows] == [("ok", None)]
    back, source = slide(tmp_path / "out" / "fr" / "built.pptx"), slide(built["source"])
    got = [(p.find("a:pPr", NS).get("rtl"), p.find("a:pPr", NS).get("algn")) for p in back.iter(a("p"))]
    assert got == [("0", None), ("0", "l"), ("0", "l"), ("0", "l"), ("0", "ctr"), ("0", "l"), ("0", "l"),
                   ("0", "r"), ("0", "r"), ("0", "l"), ("0", "l"), ("0", "l"), ("0", "l"), ("0", "l")]
    assert "rtl" not in back.find(".//a:tbl/a:tblPr", NS).attrib
    assert [text(p) for p in back.iter(a("p"))] == [pseudo(text(p)) for p in source.iter(a("p"))]


COMMENT_TEXTS = ["Please check the title before Friday.", "42", "Shorter title, please.", "Thanks!",
                 "Done, the title is shorter now."]


def test_comments_are_translated_and_authors_kept(built) -> None:
    """Legacy comments (plain text) and a modern comment and its reply (runs, formats) are translated; the
    authors' names and the comments' authors, dates and places stay; into Arabic a modern comment's paragraphs
    read right to left."""
    source, output = members(built["source"]), members(built["pseudo"])
    legacy, modern = (etree.fromstring(output[name][1]) for name in (LEGACY, MODERN))
    assert [t.text for t in legacy.iter(LEGACY_TEXT)] == [pseudo(COMMENT_TEXTS[0]), "42"]
    assert [text(p) for p in modern.iter(a("p"))] == [pseudo(COMMENT_TEXTS[4]), pseudo(COMMENT_TEXTS[2]),
                                                      pseudo(COMMENT_TEXTS[3])]
    runs = [(r.findtext("a:t", namespaces=NS), r.find("a:rPr", NS).get("b")) for r in modern.findall(".//a:p", NS)[1]]
    assert runs == [(pseudo("Shorter title, "), None), (pseudo("please"), "1"), (".", None)]
    assert {lang for p in modern.iter(a("p")) for lang in languages(p)} == {"fr-FR"}
    for name in ("ppt/commentAuthors.xml", "ppt/authors.xml"):
        assert output[name] == source[name]

    def without_text(data: bytes) -> bytes:
        root = etree.fromstring(data)
        for element in [*root.iter(LEGACY_TEXT), *root.iter(f"{{{P188}}}txBody")]:
            element.getparent().remove(element)
        return etree.tostring(root, method="c14n")

    assert [without_text(output[name][1]) for name in (LEGACY, MODERN)] == [
        without_text(source[name][1]) for name in (LEGACY, MODERN)]
    arabic = etree.fromstring(members(built["pseudo-ar"])[MODERN][1])
    assert [p.find("a:pPr", NS).attrib for p in arabic.iter(a("p"))] == [{"rtl": "1"}] * 3


def test_comments_come_after_the_notes(tmp_path) -> None:
    with_comments(corpus("pptx", "prs-notes.pptx"), tmp_path / "notes.pptx")
    _, doc = parse(tmp_path / "notes.pptx")
    assert [b.text for b in doc.blocks] == ["Notes", "", *COMMENT_TEXTS, "Presentation"]


def parse(path: Path):
    from babelflow.documents import Document
    from babelflow.tasks.formats import FormatOptions
    from babelflow.tasks.formats import pptx as pptx_format

    parsed = pptx_format.parse(path.read_bytes(), FormatOptions())
    return pptx_format, Document(path.name, path.name, "pptx", parsed.blocks, parsed.skeleton, src_lang="en_XX")


def test_blocks_fields_and_mirrors(tmp_path) -> None:
    """A block per paragraph, in slide order, then the slide's comments (a modern one before its reply); the
    field is a word (a placeholder for the engine, never its cached text); the mc:Fallback that repeats its
    mc:Choice is no block of its own."""
    build_presentation(tmp_path / "in.pptx")
    _, doc = parse(tmp_path / "in.pptx")
    assert [b.text for b in doc.blocks] == [
        "The quick brown fox jumps.", "Visit our website for more.", "First line\nSecond line",
        "This is slide  of the deck.", "Centred text here.", "A second level point.", "", "", "Right aligned words.",
        "Grouped words here.", "Cell text here", "42", "Alternate text.", *COMMENT_TEXTS,
        "Presentation"]  # the core title last
    field = doc.blocks[3]
    assert field.spans == [(0, 27, 0), (14, 14, 1)] and field.words == {1}
    assert not doc.blocks[6].translatable and not doc.blocks[7].translatable


@pytest.mark.parametrize(("tgt", "lang", "alt"), [
    ("fr_XX", "fr-FR", None), ("ru_RU", "ru-RU", None), ("zh_CN", "zh-CN", "en-US"), ("ja_XX", "ja-JP", "en-US"),
    ("ko_KR", "ko-KR", "en-US"), ("hi_IN", "hi-IN", None), ("he_IL", "he-IL", None), ("ar_AR", "ar-SA", None),
    ("pt_XX", "pt-BR", None), ("tl_XX", "fil-PH", None)])
def test_language_tag_and_alternate_language(tmp_path, tgt, lang, alt) -> None:
    """`lang` is the target as PowerPoint tags it (a region form for mBART-50's codes, as in Word); `altLang`
    names the language of the other script class: the Latin one beside Chinese, Japanese or Korean (the
    source's), the East Asian one beside others (kept from a run that had one)."""
    build_presentation(tmp_path / "in.pptx")
    pptx_format, doc = parse(tmp_path / "in.pptx")
    root = slide(pptx_format.render(doc, list(doc.blocks), tgt))
    ps = list(root.iter(a("p")))
    for p in ps[:6]:
        props = [r.find("a:rPr", NS) for r in p.iter(a("r"), a("br"), a("fld"))]
        expected = "zh-CN" if p is ps[5] and alt is None else alt
        assert {(x.get("lang"), x.get("altLang")) for x in props} == {(lang, expected)}, text(p)
    presentation = etree.fromstring(members(pptx_format.render(doc, list(doc.blocks), tgt))["ppt/presentation.xml"][1])
    assert presentation.find("p:defaultTextStyle/a:defPPr/a:defRPr", NS).get("lang") == lang


def test_reordered_translation_keeps_runs_and_links(tmp_path) -> None:
    """A translation that moves the bold words and splits the link still renders valid runs; the link's
    relationship is kept in both pieces; nothing translated changes nothing but the default language."""
    from babelflow.documents import Block

    build_presentation(tmp_path / "in.pptx")
    pptx_format, doc = parse(tmp_path / "in.pptx")
    first, second = doc.blocks[0], doc.blocks[1]
    bold = next(r for x, y, r in first.spans if first.text[x:y] == "brown fox")
    plain = next(r for x, y, r in first.spans if x == 0)
    link = next(r for x, y, r in second.spans if second.text[x:y] == "our website")
    blocks = [None] * len(doc.blocks)
    blocks[0] = Block("Renard brun rapide", [(0, 12, bold), (7, 18, plain)])
    blocks[1] = Block("Voir notre site web ici", [(5, 10, link), (19, 23, link)])
    out = pptx_format.render(doc, blocks, "de_DE")
    assert pptx_format.render(doc, blocks, "de_DE") == out, "render does not change the skeleton"
    ps = list(slide(out).iter(a("p")))
    assert [(r.find("a:t", NS).text, r.find("a:rPr", NS).get("b")) for r in ps[0].iter(a("r"))] == [
        ("Renard ", "1"), ("brun ", "1"), ("rapide", None)]
    links = [r.find("a:t", NS).text for r in ps[1].iter(a("r")) if r.find("a:rPr/a:hlinkClick", NS) is not None]
    assert links == ["notre", " ici"]
    assert {x.get("lang") for x in ps[1].iter(a("rPr"))} == {"de-DE"}
    source = members(tmp_path / "in.pptx")
    untouched = members(pptx_format.render(doc, [None] * len(doc.blocks), "fr_XX"))
    assert {k for k, v in untouched.items() if v[1] != source[k][1]} == {"ppt/presentation.xml"}


# --- LibreOffice ----------------------------------------------------------------------------------

ODF_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
ODF_DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
ODF_ANNOTATION = "{http://openoffice.org/2009/office}annotation"  # a slide's comment, as Impress keeps it
FO = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"


@pytest.mark.skipif(not libreoffice("sd"), reason="LibreOffice Impress (soffice with libreoffice-impress) is not installed")
def test_libreoffice_opens_outputs(corpus_runs, built, tmp_path) -> None:
    outputs = [corpus_runs["pseudo"] / name for name in ("shp-shapes.pptx", "tbl-cell.pptx", "txt-text.pptx",
                                                          "cht-chart-props.pptx")]
    outputs += [built["pseudo"], built["pseudo-ar"].with_name("built-ar.pptx")]
    shutil.copy(built["pseudo-ar"], outputs[-1])

    log = soffice(tmp_path, "pdf", *outputs)
    for path in outputs:
        pdf = tmp_path / "converted" / f"{path.stem}.pdf"
        assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000, log
    soffice(tmp_path, "fodp", built["pseudo"], outputs[-1])
    seen = etree.parse(str(tmp_path / "converted" / "built.fodp")).getroot()
    words = "".join(seen.itertext())
    assert pseudo("The quick brown fox jumps.") in words and "quick" not in words
    assert pseudo("Cell text here") in words and pseudo("Grouped words here.") in words
    # LibreOffice 7.4 shows the legacy comments (not the modern ones), by their author.
    notes = [(note.findtext(f"{{{DC}}}creator"), note.findtext(f"{{{ODF_TEXT}}}p"))
             for note in seen.iter(ODF_ANNOTATION)]
    assert notes == [("Ann Lee", pseudo(COMMENT_TEXTS[0])), ("Ann Lee", "42")]
    # Into Arabic, LibreOffice lays out every paragraph of the slide right to left, aligned at its end (the
    # right margin) where the source was aligned left, at its start where it was aligned right.
    arabic = etree.parse(str(tmp_path / "converted" / "built-ar.fodp")).getroot()
    layout = {s.get(f"{{{ODF_STYLE}}}name"): (p.get(f"{{{ODF_STYLE}}}writing-mode"), p.get(f"{{{FO}}}text-align"))
              for s in arabic.iter(f"{{{ODF_STYLE}}}style") for p in s if p.tag.endswith("paragraph-properties")}
    page = arabic.find(f".//{{{ODF_DRAW}}}page")
    got = ["".join(p.itertext()) and layout.get(p.get(f"{{{ODF_TEXT}}}style-name"))
           for p in page.iter(f"{{{ODF_TEXT}}}p") if next(p.iterancestors(ODF_ANNOTATION), None) is None]
    assert got == [("rl-tb", "center"), *[("rl-tb", "end")] * 3, ("rl-tb", "center"), ("rl-tb", "end"), "",
                   ("rl-tb", "start"), ("rl-tb", "start"), *[("rl-tb", "end")] * 4]


# --- bad input ------------------------------------------------------------------------------------


def test_bad_presentations_fail_alone(cli, tmp_path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    good = corpus("pptx", "txt-text.pptx")
    shutil.copy(good, src / "good.pptx")
    (src / "text.pptx").write_text("just some text, not a zip")
    (src / "legacy.pptx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024)
    shutil.copy(corpus("docx", "par-hyperlinks.docx"), src / "document.pptx")
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(src / "broken.pptx", "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            broken = info.filename == "ppt/slides/slide2.xml"
            zout.writestr(info.filename, b"<p:sld><p:cSld>" if broken else zin.read(info))
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(src / "strict.pptx", "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "ppt/presentation.xml":
                data = data.replace(PML.encode(), b"http://purl.oclc.org/ooxml/presentationml/main")
            zout.writestr(info.filename, data)

    code, _, _ = cli("translate", src, "--to", "fr", "--from", "en", "--out", tmp_path / "out", "--engine", "pseudo")
    assert code == 1
    rows = {Path(r["source"]).name: r for r in pq.read_table(tmp_path / "out" / "manifest.parquet").to_pylist()}
    assert rows.pop("good.pptx")["status"] == "ok"
    errors = {name: r["error"] for name, r in rows.items() if r["status"] == "error"}
    assert set(errors) == set(rows)
    assert "not a readable PPTX package" in errors["text.pptx"]
    assert "legacy .doc, .ppt or .xls" in errors["legacy.pptx"]
    assert "not a PowerPoint presentation but a Word document" in errors["document.pptx"]
    assert "ppt/slides/slide2.xml: XML does not parse" in errors["broken.pptx"]
    assert "Strict Open XML is not supported" in errors["strict.pptx"]
    assert not any((tmp_path / "out" / "fr" / name).exists() for name in errors)


def test_python_pptx_reads_every_translation(corpus_runs) -> None:
    """python-pptx, which most tools read presentations with, opens every Arabic output and finds the
    same slides and shapes, the text of each translated (pseudo keeps its length)."""
    from pptx import Presentation

    def frames(path: Path) -> list[tuple[int, str, str]]:
        return [(number, shape.name, shape.text_frame.text) for number, slide in enumerate(Presentation(path).slides)
                for shape in slide.shapes if shape.has_text_frame]

    for path in PPTX:
        source, output = frames(path), frames(corpus_runs["pseudo-ar"] / path.name)
        assert [(n, name) for n, name, _ in output] == [(n, name) for n, name, _ in source], path.name
        for (_, name, old), (_, _, new) in zip(source, output):
            assert len(new) == len(old) and (new != old or not re.search("[A-Za-z]", old)), (path.name, name, old, new)
