"""XLSX: every corpus workbook and a hand-built one through `babelflow translate`, checked part by part."""

from __future__ import annotations

import copy
import functools
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import CORPUS, corpus, members, members_of, translate_corpus, translate_folder, with_corpus
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from protected_text import pseudo_or_kept

from babelflow.documents import Block, Document
from babelflow.tasks.engines.pseudo import pseudo
from babelflow.tasks.formats import FormatOptions
from babelflow.tasks.formats import xlsx as xlsx_format

XLSX = sorted((CORPUS / "xlsx").glob("*.xlsx"))
S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TC = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
NS = {"s": S, "tc": TC, "a": A, "c": C, "xdr": XDR}
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
# The parts whose text is translated; every other member is copied byte for byte.
SHEET = re.compile(r"xl/worksheets/[^/]+\.xml")
DRAWN = re.compile(r"xl/(drawings/drawing|charts/chart)\d+\.xml")  # DrawingML paragraphs (not vmlDrawing)
TEXT_PART = re.compile(r"xl/(sharedStrings|comments[^/]*|threadedComments/[^/]+|worksheets/[^/]+|tables/[^/]+)\.xml"
                       r"|docProps/core\.xml|" + DRAWN.pattern)
# DrawingML run properties that record proofing (what translation sets or drops), not formatting.
PROOFING = ("lang", "altLang", "dirty", "err", "smtClean", "smtId")
DC, CP = "http://purl.org/dc/elements/1.1/", "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
# The core properties a reader sees in the title bar and the file's properties; the rest of docProps is kept.
PROPERTIES = (f"{{{DC}}}title", f"{{{DC}}}subject", f"{{{DC}}}description", f"{{{CP}}}keywords")
HF = {f"{{{S}}}{n}" for n in ("oddHeader", "oddFooter", "evenHeader", "evenFooter", "firstHeader", "firstFooter")}


def s(name: str) -> str:
    return f"{{{S}}}{name}"


def a(name: str) -> str:
    return f"{{{A}}}{name}"


def decode(text: str | None) -> str:
    return re.sub("_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text or "")


def rich(element: etree._Element) -> list[tuple[str, bytes]]:
    """A string's runs: (text, canonical rPr); a plain t is one run without properties."""
    out = []
    for child in element:
        if child.tag == s("t"):
            out.append((decode(child.text), b""))
        elif child.tag == s("r"):
            rpr = child.find(s("rPr"))
            out.append((decode(child.find(s("t")).text),
                        etree.tostring(rpr, method="c14n", exclusive=True) if rpr is not None else b""))
    return [(t, f) for t, f in out if t]


def merged(runs: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for text, fmt in runs:
        if out and out[-1][1] == fmt:
            out[-1] = (out[-1][0] + text, fmt)
        else:
            out.append((text, fmt))
    return out


def other_children(element: etree._Element) -> list[bytes]:
    """What a string holds besides its text: phonetic runs and their properties."""
    return [etree.tostring(c, method="c14n") for c in element if c.tag not in (s("t"), s("r"))]


def translated_like(source: str, output: str, expect) -> bool:
    """`output` is what the engine makes of `source`: pseudo letters, protected spans (URLs...) kept."""
    if expect is pseudo:
        return pseudo_or_kept(source, output)
    return output == expect(source)


def check_strings(old: etree._Element, new: etree._Element, expect, kept: set[str] = frozenset()) -> None:
    """Per string: the same runs with the same formats, the text as `expect` makes it (kept without a letter,
    or when named in `kept`); phonetic runs as they were; xml:space="preserve" exactly where needed."""
    source, output = rich(old), rich(new)
    text = "".join(t for t, _ in source)
    if not any(c.isalpha() for c in text) or text in kept:
        assert etree.tostring(new) == etree.tostring(old) or source == output, text
    else:
        assert [f for _, f in merged(output)] == [f for _, f in merged(source)], text
        assert translated_like(text, "".join(t for t, _ in output), expect), (text, output)
        for t in new.iter(s("t")):
            if t.getparent().tag != s("rPh"):
                edge = bool(t.text) and (t.text[0].isspace() or t.text[-1].isspace())
                assert (t.get(XML_SPACE) == "preserve") == edge, etree.tostring(t)
    assert other_children(new) == other_children(old)


def without_text(root: etree._Element) -> bytes:
    """A worksheet (or table) with its inline strings, headers, footers and autofilter values emptied and its
    views removed: what translation must leave exactly as it was (cells, formulas, cached values...)."""
    root = copy.deepcopy(root)
    for element in root.iter(s("filter")):
        element.set("val", "")
    for element in root.iter(s("is")):
        for child in list(element):
            element.remove(child)
    for element in root.iter(*HF):
        element.text = None
    for views in root.findall(s("sheetViews")):
        root.remove(views)
    return etree.tostring(root, method="c14n")


def canonical(element: etree._Element | None) -> bytes:
    """The element, canonical, without the proofing attributes of its run properties."""
    if element is None:
        return b""
    element = copy.deepcopy(element)
    element.tail = None
    for el in element.iter(a("rPr"), a("endParaRPr")):
        for name in PROOFING:
            el.attrib.pop(name, None)
    return etree.tostring(element, method="c14n", exclusive=True)


def drawn_paragraphs(name: str, root: etree._Element) -> list[etree._Element]:
    """The paragraphs translation reads: a chart's titles and labels (c:rich), every one of a drawing."""
    if "/charts/" in name:
        return [p for rich in root.iter(f"{{{C}}}rich") for p in rich.iter(a("p"))]
    return list(root.iter(a("p")))


def dml_runs(p: etree._Element) -> list[tuple[str, bytes]]:
    """A DrawingML paragraph's runs and line breaks: (text, canonical a:rPr); a field or other object as ("",
    its canonical XML)."""
    out = []
    for el in p:
        if el.tag == a("r") and el.findtext(a("t")):  # a run without text shows nothing
            out.append((el.findtext(a("t")), canonical(el.find(a("rPr")))))
        elif el.tag == a("br"):
            out.append(("\n", canonical(el.find(a("rPr")))))
        elif el.tag not in (a("r"), a("pPr"), a("endParaRPr")):
            out.append(("", b"object " + canonical(el)))
    return out


def without_paragraphs(name: str, root: etree._Element) -> bytes:
    """A drawing or chart without the paragraphs translation writes and a chart's editing language: its
    shapes, the chart's data, cached values and formats."""
    root = copy.deepcopy(root)
    for p in drawn_paragraphs(name, root):
        p.getparent().remove(p)
    for lang in root.iter(f"{{{C}}}lang"):
        lang.getparent().remove(lang)
    return etree.tostring(root, method="c14n", exclusive=True)


def check_drawn(name: str, old: etree._Element, new: etree._Element, expect, rtl: bool) -> None:
    """Per paragraph: the same runs, formats and fields, the text as `expect` makes it, in the target language
    where it changed; into Arabic right to left, a drawing's left (its default) and right alignment mirrored."""
    assert without_paragraphs(name, new) == without_paragraphs(name, old), name
    tag = "ar-SA" if rtl else "fr-FR"
    old_ps, new_ps = drawn_paragraphs(name, old), drawn_paragraphs(name, new)
    assert len(new_ps) == len(old_ps), name
    for x, y in zip(old_ps, new_ps):
        source, output = dml_runs(x), dml_runs(y)
        text = "".join(t for t, _ in source)
        assert [f for _, f in merged(output)] == [f for _, f in merged(source)], (name, text)
        assert translated_like(text, "".join(t for t, _ in output), expect), (name, text, output)
        if output != source:
            props = [r.find(a("rPr")) for r in y if r.tag in (a("r"), a("br"))] + y.findall(a("endParaRPr"))
            assert {r.get("lang") for r in props} == {tag}, (name, text)
            if "/charts/" in name:
                assert new.find("c:lang", NS) is None or new.find("c:lang", NS).get("val") == tag, name
        old_props, new_props = x.find(a("pPr")), y.find(a("pPr"))
        if not rtl:
            assert canonical(new_props) == canonical(old_props), name
            continue
        assert new_props.get("rtl") == "1", name
        align = old_props.get("algn") if old_props is not None else None
        if new.tag == f"{{{XDR}}}wsDr":  # a sheet's drawing: left aligned by default; a chart aligns its own text
            align = {"l": "r", "r": "l"}.get(align or "l", align)
        assert new_props.get("algn") == align, name
        def rest(props: etree._Element | None) -> dict[str, str]:
            return {k: v for k, v in (props.attrib if props is not None else {}).items() if k not in ("rtl", "algn")}

        assert rest(new_props) == rest(old_props), name


def views(root: etree._Element) -> list[dict[str, str]]:
    """The attributes of the sheet's views but their direction."""
    return [{k: v for k, v in view.attrib.items() if k != "rightToLeft"} for view in root.iter(s("sheetView"))]


def check_workbook(source: Path, output: Path, expect=lambda t: t, rtl: bool = False,
                   kept: set[str] = frozenset()) -> None:
    """Same package, same members, same compression; only the text parts differ, only in their text."""
    before, after = members(source), members(output)
    assert list(after) == list(before)
    assert [c for c, _ in after.values()] == [c for c, _ in before.values()]
    for name, (_, data) in before.items():
        new_data = after[name][1]
        if not TEXT_PART.fullmatch(name):
            assert new_data == data, name
            continue
        old, new = etree.fromstring(data), etree.fromstring(new_data)
        if name == "docProps/core.xml":
            assert [e.tag for e in new] == [e.tag for e in old]
            for a, b in zip(old, new):
                if a.tag in PROPERTIES and a.text and any(c.isalpha() for c in a.text):
                    assert translated_like(a.text, b.text, expect), a.tag
                else:
                    assert b.text == a.text, a.tag
        elif name.endswith("sharedStrings.xml"):
            assert dict(new.attrib) == dict(old.attrib)  # count, uniqueCount
            assert len(new) == len(old)
            for a, b in zip(old, new):
                check_strings(a, b, expect, kept)
        elif "comments" in name and "threaded" not in name.lower():
            assert etree.tostring(new.find("s:authors", NS)) == etree.tostring(old.find("s:authors", NS))
            old_c, new_c = list(old.iter(s("comment"))), list(new.iter(s("comment")))
            assert [dict(c.attrib) for c in new_c] == [dict(c.attrib) for c in old_c]
            for a, b in zip(old_c, new_c):
                check_strings(a.find(s("text")), b.find(s("text")), expect)
        elif "/tables/" in name:
            assert without_text(new) == without_text(old), name
        elif DRAWN.fullmatch(name):
            check_drawn(name, old, new, expect, rtl)
        elif SHEET.fullmatch(name):
            assert without_text(new) == without_text(old), name
            for a, b in zip(old.iter(s("is")), new.iter(s("is"))):
                check_strings(a, b, expect, kept)
            turned = list(new.iter(s("sheetView")))
            if rtl:
                assert turned and all(v.get("rightToLeft") == "1" for v in turned), name
                assert views(new) == (views(old) or [{"workbookViewId": "0"}]), name
            else:
                assert [etree.tostring(v) for v in new.iter(s("sheetViews"))] == [
                    etree.tostring(v) for v in old.iter(s("sheetViews"))], name


# --- the corpus ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_runs(tmp_path_factory, prefect_api) -> dict[str, Path]:
    return translate_corpus("XLSX", XLSX, tmp_path_factory.mktemp("xlsx"))


@pytest.mark.parametrize("path", with_corpus([pytest.param(p, id=p.name) for p in XLSX]))
def test_identity_gives_the_same_members(corpus_runs, path) -> None:
    """Nothing changes, so nothing is rewritten: every member byte for byte, in order, same compression."""
    assert members(corpus_runs["identity"] / path.name) == members(path)


@pytest.mark.parametrize("path", with_corpus([pytest.param(p, id=p.name) for p in XLSX]))
def test_pseudo_translates_every_string_and_nothing_else(corpus_runs, path) -> None:
    check_workbook(path, corpus_runs["pseudo"] / path.name, pseudo, kept=TABLE_HEADERS.get(path.name, set()))


@pytest.mark.parametrize("path", with_corpus([pytest.param(p, id=p.name) for p in XLSX]))
def test_right_to_left_target_sets_every_sheet_right_to_left(corpus_runs, path) -> None:
    check_workbook(path, corpus_runs["pseudo-ar"] / path.name, pseudo, rtl=True,
                   kept=TABLE_HEADERS.get(path.name, set()))


# The column names of tables (their header cells), which the table part and structured references repeat.
TABLE_HEADERS = {name: {"Column1", "Column2", "Column3", "Column4", " Column4 ", "Total"}
                 for name in ("table08.xlsx", "table19.xlsx", "table30.xlsx")}


def test_corpus_specifics(corpus_runs) -> None:
    """Rich text keeps its bold run; a table's header row stays as its table part names it; a sheet that
    had no text still turns right to left; strings without a letter stay."""
    def part(kind: str, name: str, member: str) -> etree._Element:
        with zipfile.ZipFile(corpus_runs[kind] / name) as z:
            return etree.fromstring(z.read(member))

    sst = part("pseudo", "rich_string09.xlsx", "xl/sharedStrings.xml")
    runs = [(t, b"<b></b>" in f) for t, f in rich(sst[2])]
    assert runs == [(pseudo("a"), False), (pseudo("bc"), True), (pseudo("defg"), False)]
    table = part("pseudo", "table08.xlsx", "xl/tables/table1.xml")
    names = [c.get("name") for c in table.iter(s("tableColumn"))]
    headers = [rich(si)[0][0] for si in part("pseudo", "table08.xlsx", "xl/sharedStrings.xml")]
    assert names == headers[:4] == ["Column1", "Column2", "Column3", "Column4"]
    view = part("pseudo-ar", "chart_axis03.xlsx", "xl/worksheets/sheet1.xml").find("s:sheetViews/s:sheetView", NS)
    assert view.get("rightToLeft") == "1"
    symbols = [rich(si)[0][0] for si in part("pseudo", "shared_strings01.xlsx", "xl/sharedStrings.xml")]
    assert symbols[:5] == ["\x00", "\x01", "\x02", "\x03", "\x04"] and "&" in symbols and "A" not in symbols


def dml_text(p: etree._Element) -> str:
    return "".join(t for t, _ in dml_runs(p))


def test_corpus_charts_and_text_boxes(corpus_runs) -> None:
    """Chart and axis titles are translated and the chart takes the target language; a text box keeps its
    format; a text box that shows a cell (a TxLink field) keeps the cell's text; into Arabic the text boxes read
    right to left, aligned at the other side."""
    def paragraphs(kind: str, name: str, member: str) -> list[etree._Element]:
        with zipfile.ZipFile(corpus_runs[kind] / name) as z:
            return drawn_paragraphs(member, etree.fromstring(z.read(member)))

    chart = paragraphs("pseudo", "chart_axis03.xlsx", "xl/charts/chart1.xml")
    assert [dml_text(p) for p in chart] == [pseudo("Title"), pseudo("XXX"), pseudo("YYY")]
    assert chart[0].getroottree().getroot().find("c:lang", NS).get("val") == "fr-FR"
    box = paragraphs("pseudo", "textbox21.xlsx", "xl/drawings/drawing1.xml")
    assert [(r.findtext("a:t", namespaces=NS), r.find("a:rPr", NS).attrib) for r in box[0].iter(a("r"))] == [
        (pseudo("This is some text"), {"lang": "fr-FR", "sz": "1200", "b": "1", "i": "1", "u": "sng"})]
    linked = paragraphs("pseudo", "textbox31.xlsx", "xl/drawings/drawing1.xml")[0].find("a:fld", NS)
    assert (linked.get("type"), linked.findtext("a:t", namespaces=NS)) == ("TxLink", "This is some text")
    boxes = paragraphs("pseudo-ar", "textbox41.xlsx", "xl/drawings/drawing1.xml")
    assert [(p.find("a:pPr", NS).get("rtl"), p.find("a:pPr", NS).get("algn")) for p in boxes] == [
        ("1", "r"), ("1", "r"), ("1", "ctr"), ("1", "l")]


# --- a hand-built workbook ------------------------------------------------------------------------------

SML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
OVERRIDES = {
    "/xl/workbook.xml": f"{SML}.sheet.main+xml",
    "/xl/worksheets/sheet1.xml": f"{SML}.worksheet+xml",
    "/xl/worksheets/sheet2.xml": f"{SML}.worksheet+xml",
    "/xl/sharedStrings.xml": f"{SML}.sharedStrings+xml",
    "/xl/styles.xml": f"{SML}.styles+xml",
    "/xl/comments1.xml": f"{SML}.comments+xml",
    "/xl/threadedComments/threadedComment1.xml": "application/vnd.ms-excel.threadedcomments+xml",
    "/xl/persons/person.xml": "application/vnd.ms-excel.person+xml",
    "/xl/tables/table1.xml": f"{SML}.table+xml",
    "/xl/pivotCache/pivotCacheDefinition1.xml": f"{SML}.pivotCacheDefinition+xml",
    "/xl/drawings/drawing1.xml": "application/vnd.openxmlformats-officedocument.drawing+xml",
    "/xl/charts/chart1.xml": "application/vnd.openxmlformats-officedocument.drawingml.chart+xml",
    "/xl/drawings/drawing2.xml": "application/vnd.openxmlformats-officedocument.drawingml.chartshapes+xml",
    "/docProps/core.xml": "application/vnd.openxmlformats-package.core-properties+xml",
}
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Default Extension="vml" ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/>'
    + "".join(f'<Override PartName="{part}" ContentType="{kind}"/>' for part, kind in OVERRIDES.items())
    + "</Types>")
RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{}</Relationships>"""
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def rels(*targets: tuple[str, str]) -> str:
    return RELS.format("".join(f'<Relationship Id="rId{i}" Type="{kind}" Target="{target}"/>'
                               for i, (kind, target) in enumerate(targets, start=1)))


WORKBOOK = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="{S}" xmlns:r="{R}"><sheets>
<sheet name="Sales Data" sheetId="1" r:id="rId1"/><sheet name="Notes" sheetId="2" r:id="rId2"/></sheets>
<definedNames><definedName name="Sales_Total">'Sales Data'!$B$2:$B$4</definedName></definedNames>
<pivotCaches><pivotCache cacheId="1" r:id="rId6"/></pivotCaches></workbook>"""
PIVOT_CACHE = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<pivotCacheDefinition xmlns="{S}" refreshOnLoad="1" recordCount="1"><cacheSource type="worksheet">
<worksheetSource ref="A7:B8" sheet="Sales Data"/></cacheSource><cacheFields count="2">
<cacheField name="Product" numFmtId="0"><sharedItems/></cacheField><cacheField name="Units" numFmtId="0">
<sharedItems containsSemiMixedTypes="0" containsString="0" containsNumber="1" containsInteger="1" minValue="5"
 maxValue="5"/></cacheField></cacheFields></pivotCacheDefinition>"""
STRINGS = [
    "<t>Hello world</t>",  # 0: three cells on two sheets
    '<r><t xml:space="preserve">The </t></r><r><rPr><b/><sz val="11"/><rFont val="Calibri"/></rPr><t>quick brown</t>'
    '</r><r><t xml:space="preserve"> fox jumps</t></r>',  # 1: rich text
    "<t>12,345.00</t>",  # 2: no letter
    "<t>Yes</t>",  # 3: a formula compares a cell with "Yes"
    "<t>Region</t>",  # 4: a table's column names
    "<t>Amount</t>",  # 5
    '<t>Tokyo office</t><rPh sb="0" eb="5"><t>トウキョウ</t></rPh><phoneticPr fontId="1" type="noConversion"/>',
    '<t xml:space="preserve"> padded text </t>',  # 7
    "<t>East</t>",  # 8: a cell in the table's body
    "<t>Open</t>",  # 9: an item of a data validation list
    "<t>Line one_x000D_\nline two</t>",  # 10: an escaped carriage return
    "<t>Product</t>",  # 11: the header row of a pivot table's source: its field names
    "<t>Units</t>",  # 12
    "<t>Widget</t>",  # 13: a value in that range
]
SST = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{S}" count="14" '
       f'uniqueCount="{len(STRINGS)}">' + "".join(f"<si>{x}</si>" for x in STRINGS) + "</sst>")
SHEET1 = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="{S}" xmlns:r="{R}"><dimension ref="A1:K5"/><sheetViews><sheetView tabSelected="1" workbookViewId="0"/>
</sheetViews><sheetFormatPr defaultRowHeight="15"/><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1"><v>42</v></c>
<c r="D1" t="str"><f>'Sales Data'!A1&amp;" total"</f><v>Hello world total</v></c><c r="F1" t="s"><v>2</v></c>
<c r="G1" t="s"><v>7</v></c><c r="H1" t="s"><v>6</v></c><c r="I1" t="s"><v>9</v></c><c r="J1" t="s"><v>10</v></c></row>
<row r="2"><c r="C2" t="s"><v>3</v></c><c r="E2"><f>IF(C2="Yes",1,0)</f><v>1</v></c></row>
<row r="3"><c r="A3" t="s"><v>0</v></c><c r="B3"><f>SUM(Sales_Total)</f><v>0</v></c></row>
<row r="4"><c r="A4" t="inlineStr"><is><t>Hello there</t></is></c></row>
<row r="5"><c r="A5" t="inlineStr"><is><t>Inline cell text</t></is></c>
<c r="B5" t="inlineStr"><is><r><rPr><i/></rPr><t>Italic</t></r><r><t xml:space="preserve"> and plain</t></r></is>
</c></row>
<row r="7"><c r="A7" t="s"><v>11</v></c><c r="B7" t="s"><v>12</v></c></row>
<row r="8"><c r="A8" t="s"><v>13</v></c><c r="B8"><v>5</v></c></row>
</sheetData><autoFilter ref="A3:A5"><filterColumn colId="0"><filters><filter val="hello world"/>
<filter val="Hello there"/><filter val="Autre"/></filters></filterColumn></autoFilter>
<dataValidations count="1"><dataValidation type="list" allowBlank="1" sqref="I1"><formula1>"Open,Closed"</formula1>
</dataValidation></dataValidations>
<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>
<headerFooter><oddHeader>&amp;L&amp;"Arial,Bold"Quarterly report&amp;CPage &amp;P of &amp;N&amp;R&amp;D</oddHeader>
<oddFooter>&amp;CSales &amp;&amp; marketing</oddFooter></headerFooter><drawing r:id="rId3"/><legacyDrawing r:id="rId2"/>
</worksheet>"""
SHEET2 = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="{S}" xmlns:r="{R}"><dimension ref="A1:B5"/><sheetFormatPr defaultRowHeight="15"/><sheetData>
<row r="1"><c r="B1" t="s"><v>0</v></c></row>
<row r="3"><c r="A3" t="s"><v>4</v></c><c r="B3" t="s"><v>5</v></c></row>
<row r="4"><c r="A4" t="s"><v>8</v></c><c r="B4"><v>10</v></c></row>
<row r="5"><c r="A5" t="s"><v>8</v></c><c r="B5"><f>SUBTOTAL(109,Table1[Amount])</f><v>10</v></c></row>
</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>
<tableParts count="1"><tablePart r:id="rId1"/></tableParts></worksheet>"""
TABLE = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<table xmlns="{S}" id="1" name="Table1" displayName="Table1" ref="A3:B5"><autoFilter ref="A3:B5">
<filterColumn colId="0"><filters><filter val="East"/></filters></filterColumn></autoFilter>
<tableColumns count="2"><tableColumn id="1" name="Region"/><tableColumn id="2" name="Amount"/></tableColumns>
<tableStyleInfo name="TableStyleMedium9" showRowStripes="1"/></table>"""
COMMENTS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<comments xmlns="{S}"><authors><author>Ann Lee</author></authors><commentList>
<comment ref="A1" authorId="0"><text><r><rPr><b/><sz val="9"/><rFont val="Tahoma"/></rPr><t>Ann Lee:</t></r>
<r><rPr><sz val="9"/><rFont val="Tahoma"/></rPr><t xml:space="preserve">
Check these numbers before Friday</t></r></text></comment>
<comment ref="C1" authorId="0"><text><t>42</t></text></comment></commentList></comments>"""
THREADS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<ThreadedComments xmlns="{TC}" xmlns:x="{S}">
<threadedComment ref="B1" dT="2024-01-02T10:00:00.00" personId="{{A1}}" id="{{C1}}">
<text>@Ann Lee please review this cell</text>
<mentions><mention mentionpersonId="{{A1}}" mentionId="{{M1}}" startIndex="0" length="8"/></mentions></threadedComment>
</ThreadedComments>"""
PERSONS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<personList xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments">
<person displayName="Ann Lee" id="{A1}" userId="ann@example.com" providerId="None"/></personList>"""
STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{S}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders>
<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="1"><xf xfId="0"/></cellXfs></styleSheet>"""
CORE = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
 xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Quarterly sales</dc:title><dc:creator>Ann Lee</dc:creator>
</cp:coreProperties>"""


def anchor(cols: tuple[int, int], rows: tuple[int, int], content: str) -> str:
    """A drawing's object, anchored between two cells."""
    cells = [f"<xdr:{end}><xdr:col>{col}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{row}</xdr:row>"
             f"<xdr:rowOff>0</xdr:rowOff></xdr:{end}>" for end, col, row in zip(("from", "to"), cols, rows)]
    return f"<xdr:twoCellAnchor>{''.join(cells)}{content}<xdr:clientData/></xdr:twoCellAnchor>"


def text_box(shape_id: int, y: int, paragraphs: str, kind: str = "xdr") -> str:
    return (f'<{kind}:sp macro="" textlink=""><{kind}:nvSpPr><{kind}:cNvPr id="{shape_id}" name="TextBox {shape_id}"/>'
            f'<{kind}:cNvSpPr txBox="1"/></{kind}:nvSpPr><{kind}:spPr><a:xfrm><a:off x="0" y="{y}"/>'
            f'<a:ext cx="1828800" cy="381000"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></{kind}:spPr>'
            f'<{kind}:txBody><a:bodyPr wrap="square" rtlCol="0" anchor="t"/><a:lstStyle/>{paragraphs}</{kind}:txBody>'
            f"</{kind}:sp>")


def run(text: str, props: str = "") -> str:
    return f'<a:r><a:rPr lang="en-US" sz="1100"{props}/><a:t>{text}</a:t></a:r>'


CHART_FRAME = f"""<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="2" name="Chart 1"/>
<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>
<a:graphic><a:graphicData uri="{C}"><c:chart xmlns:c="{C}" xmlns:r="{R}" r:id="rId1"/></a:graphicData></a:graphic>
</xdr:graphicFrame>"""
BOX = text_box(3, 1905000, "<a:p>" + run("Figures are preliminary.") + "</a:p><a:p>" + run("Ask ")
               + run("the sales team", ' b="1"') + run(" before sharing.") + "</a:p>")
GROUP = ("""<xdr:grpSp><xdr:nvGrpSpPr><xdr:cNvPr id="4" name="Group 4"/><xdr:cNvGrpSpPr/></xdr:nvGrpSpPr><xdr:grpSpPr>
<a:xfrm><a:off x="0" y="3238500"/><a:ext cx="1828800" cy="381000"/><a:chOff x="0" y="3238500"/>
<a:chExt cx="1828800" cy="381000"/></a:xfrm></xdr:grpSpPr>"""
         + text_box(5, 3238500, '<a:p><a:pPr algn="r"/>' + run("Grouped note", ' i="1"') + "</a:p>") + "</xdr:grpSp>")
# A chart, a text box of two paragraphs and a group of one right-aligned text box.
DRAWING = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<xdr:wsDr xmlns:xdr="{XDR}" xmlns:a="{A}">'
           + anchor((4, 11), (10, 24), CHART_FRAME) + anchor((0, 3), (10, 16), BOX) + anchor((0, 3), (17, 19), GROUP)
           + "</xdr:wsDr>")


def rich_text(text: str, body: str = "<a:bodyPr/>") -> str:
    return (f"<c:tx><c:rich>{body}<a:lstStyle/><a:p><a:pPr><a:defRPr/></a:pPr>"
            f'<a:r><a:rPr lang="en-US"/><a:t>{text}</a:t></a:r></a:p></c:rich></c:tx>')


def axis(kind: str, ids: tuple[int, int], position: str, title: str, rest: str) -> str:
    return (f'<c:{kind}><c:axId val="{ids[0]}"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
            f'<c:axPos val="{position}"/><c:title>{title}<c:overlay val="0"/></c:title>'
            f'<c:numFmt formatCode="General" sourceLinked="1"/><c:tickLblPos val="nextTo"/><c:crossAx val="{ids[1]}"/>'
            f'<c:crosses val="autoZero"/>{rest}</c:{kind}>')


SHOW = "".join(f'<c:show{x} val="{int(x == "Val")}"/>' for x in ("LegendKey", "Val", "CatName", "SerName", "Percent",
                                                                  "BubbleSize"))
# A column chart of the pivot table's source range: its series name and category are cached cell values.
CHART = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<c:chartSpace xmlns:c="{C}" xmlns:a="{A}" xmlns:r="{R}"><c:lang val="en-US"/><c:chart><c:title>
{rich_text("Units sold by product")}<c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/><c:plotArea><c:layout/>
<c:barChart><c:barDir val="col"/><c:grouping val="clustered"/><c:varyColors val="0"/><c:ser><c:idx val="0"/>
<c:order val="0"/><c:tx><c:strRef><c:f>'Sales Data'!$B$7</c:f><c:strCache><c:ptCount val="1"/><c:pt idx="0">
<c:v>Units</c:v></c:pt></c:strCache></c:strRef></c:tx><c:dLbls><c:dLbl><c:idx val="0"/>{rich_text("Best seller")}
{SHOW}</c:dLbl>{SHOW}</c:dLbls><c:cat><c:strRef><c:f>'Sales Data'!$A$8</c:f><c:strCache><c:ptCount val="1"/>
<c:pt idx="0"><c:v>Widget</c:v></c:pt></c:strCache></c:strRef></c:cat><c:val><c:numRef><c:f>'Sales Data'!$B$8</c:f>
<c:numCache><c:formatCode>General</c:formatCode><c:ptCount val="1"/><c:pt idx="0"><c:v>5</c:v></c:pt></c:numCache>
</c:numRef></c:val></c:ser><c:gapWidth val="150"/><c:axId val="1001"/><c:axId val="1002"/></c:barChart>
{axis("catAx", (1001, 1002), "b", rich_text("Product name"), '<c:auto val="1"/><c:lblOffset val="100"/>')}
{axis("valAx", (1002, 1001), "l", rich_text("Units sold", '<a:bodyPr rot="-5400000" vert="horz"/>'),
      '<c:crossBetween val="between"/>')}
</c:plotArea><c:legend><c:legendPos val="r"/><c:overlay val="0"/></c:legend><c:plotVisOnly val="1"/></c:chart>
<c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="1000"/></a:pPr><a:endParaRPr lang="en-US"/></a:p></c:txPr>
<c:userShapes r:id="rId1"/></c:chartSpace>"""
ON_CHART = text_box(2, 0, "<a:p>" + run("Source: store records") + "</a:p>", "cdr")
# A text box drawn on the chart.
CHART_SHAPES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<c:userShapes xmlns:c="{C}" xmlns:a="{A}" xmlns:cdr="http://schemas.openxmlformats.org/drawingml/2006/chartDrawing">
<cdr:relSizeAnchor><cdr:from><cdr:x>0.02</cdr:x><cdr:y>0.9</cdr:y></cdr:from>
<cdr:to><cdr:x>0.5</cdr:x><cdr:y>0.99</cdr:y></cdr:to>{ON_CHART}</cdr:relSizeAnchor></c:userShapes>"""
VML = """<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:x="urn:schemas-microsoft-com:office:excel">
<v:shape id="_x0000_s1025"><x:ClientData ObjectType="Note"><x:Row>0</x:Row><x:Column>0</x:Column></x:ClientData>
</v:shape></xml>"""


def build_workbook(path: Path) -> None:
    """A small workbook with every construct the format handles, written as Excel writes its parts."""
    parts = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": rels((f"{OFFICE}/officeDocument", "xl/workbook.xml"),
                            ("http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
                             "docProps/core.xml")),
        "docProps/core.xml": CORE,
        "xl/workbook.xml": WORKBOOK,
        "xl/_rels/workbook.xml.rels": rels((f"{OFFICE}/worksheet", "worksheets/sheet1.xml"),
                                           (f"{OFFICE}/worksheet", "worksheets/sheet2.xml"),
                                           (f"{OFFICE}/sharedStrings", "sharedStrings.xml"),
                                           (f"{OFFICE}/styles", "styles.xml"),
                                           ("http://schemas.microsoft.com/office/2017/10/relationships/person",
                                            "persons/person.xml"),
                                           (f"{OFFICE}/pivotCacheDefinition", "pivotCache/pivotCacheDefinition1.xml")),
        "xl/pivotCache/pivotCacheDefinition1.xml": PIVOT_CACHE,
        "xl/worksheets/sheet1.xml": SHEET1,
        "xl/worksheets/_rels/sheet1.xml.rels": rels((f"{OFFICE}/comments", "../comments1.xml"),
                                                    (f"{OFFICE}/vmlDrawing", "../drawings/vmlDrawing1.vml"),
                                                    (f"{OFFICE}/drawing", "../drawings/drawing1.xml")),
        "xl/drawings/drawing1.xml": DRAWING,
        "xl/drawings/_rels/drawing1.xml.rels": rels((f"{OFFICE}/chart", "../charts/chart1.xml")),
        "xl/charts/chart1.xml": CHART,
        "xl/charts/_rels/chart1.xml.rels": rels((f"{OFFICE}/chartUserShapes", "../drawings/drawing2.xml")),
        "xl/drawings/drawing2.xml": CHART_SHAPES,
        "xl/worksheets/sheet2.xml": SHEET2,
        "xl/worksheets/_rels/sheet2.xml.rels": rels(
            (f"{OFFICE}/table", "../tables/table1.xml"),
            ("http://schemas.microsoft.com/office/2017/10/relationships/threadedComment",
             "../threadedComments/threadedComment1.xml")),
        "xl/tables/table1.xml": TABLE,
        "xl/sharedStrings.xml": SST,
        "xl/styles.xml": STYLES,
        "xl/comments1.xml": COMMENTS,
        "xl/drawings/vmlDrawing1.vml": VML,
        "xl/threadedComments/threadedComment1.xml": THREADS,
        "xl/persons/person.xml": PERSONS,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text.encode())


# Strings a formula, a data validation list or a table's columns name: kept in every cell that shows them.
BUILT_KEPT = {"Yes", "Region", "Amount", "Open", "Product", "Units"}


@pytest.fixture(scope="module")
def built(tmp_path_factory, prefect_api) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("built")
    (root / "src").mkdir()
    build_workbook(root / "src" / "built.xlsx")
    out = {"source": root / "src" / "built.xlsx", "root": root}
    for engine, to in (("identity", "fr"), ("pseudo", "fr,ar")):
        rows = translate_folder(root / "src", root / engine, engine, to=to)
        assert [(r["status"], r["error"], r["n_spans_lost"]) for r in rows] == [("ok", None, 0)] * len(to.split(","))
        out[engine] = root / engine / "fr" / "built.xlsx"
    out["pseudo-ar"] = root / "pseudo" / "ar" / "built.xlsx"
    return out


def read(path: Path, member: str) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read(member))


def test_built_workbook_round_trips(built) -> None:
    assert members(built["identity"]) == members(built["source"])
    check_workbook(built["source"], built["pseudo"], pseudo, kept=BUILT_KEPT)
    check_workbook(built["source"], built["pseudo-ar"], pseudo, rtl=True, kept=BUILT_KEPT)


def test_shared_string_of_three_cells_is_translated_once(built) -> None:
    rows = pq.read_table(built["root"] / "pseudo" / "segments").to_pylist()
    hello = [r for r in rows if r["source_text"] == "Hello world"]
    assert sorted(r["tgt_lang"] for r in hello) == ["ar_AR", "fr_XX"]  # one segment per target, not per cell
    sst = read(built["pseudo"], "xl/sharedStrings.xml")
    assert rich(sst[0]) == [(pseudo("Hello world"), b"")] and sst.get("count") == "14"
    cells = {(sheet, c.get("r")): c.findtext("s:v", namespaces=NS)
             for sheet in (1, 2) for c in read(built["pseudo"], f"xl/worksheets/sheet{sheet}.xml").iter(s("c"))}
    assert [cells[(1, "A1")], cells[(1, "A3")], cells[(2, "B1")]] == ["0", "0", "0"]


def test_rich_text_runs_keep_their_formats(built) -> None:
    sst = read(built["pseudo"], "xl/sharedStrings.xml")
    assert [(t, b"<b></b>" in f) for t, f in rich(sst[1])] == [
        (pseudo("The "), False), (pseudo("quick brown"), True), (pseudo(" fox jumps"), False)]
    assert [t.get(XML_SPACE) for t in sst[1].iter(s("t"))] == ["preserve", None, "preserve"]
    tokyo = sst[6]
    assert rich(tokyo) == [(pseudo("Tokyo office"), b"")]
    assert tokyo.find("s:rPh", NS).get("eb") == "5" and tokyo.findtext("s:rPh/s:t", namespaces=NS) == "トウキョウ"
    assert tokyo.find("s:phoneticPr", NS).get("type") == "noConversion"
    assert [etree.QName(c).localname for c in tokyo] == ["t", "rPh", "phoneticPr"]  # the schema's order
    assert sst[7].find("s:t", NS).text == pseudo(" padded text ") and sst[7].find("s:t", NS).get(XML_SPACE)
    assert sst[10].find("s:t", NS).text == pseudo("Line one_x000D_\nline two").replace("_ẋ000Ď_", "_x000D_")
    inline = [rich(e) for e in read(built["pseudo"], "xl/worksheets/sheet1.xml").iter(s("is"))]
    assert inline[:2] == [[(pseudo("Hello there"), b"")], [(pseudo("Inline cell text"), b"")]]
    assert [t for t, _ in inline[2]] == [pseudo("Italic"), pseudo(" and plain")] and inline[2][0][1] != inline[2][1][1]


def test_formulas_sheet_names_and_what_formulas_see_stay(built) -> None:
    before, after = members(built["source"]), members(built["pseudo"])
    assert after["xl/workbook.xml"] == before["xl/workbook.xml"]  # sheet names, defined names
    table = read(built["pseudo"], "xl/tables/table1.xml")
    assert [c.get("name") for c in table.iter(s("tableColumn"))] == ["Region", "Amount"]
    sheet = read(built["pseudo"], "xl/worksheets/sheet1.xml")
    cells = {c.get("r"): c for c in sheet.iter(s("c"))}
    assert cells["D1"].findtext("s:f", namespaces=NS) == "'Sales Data'!A1&\" total\""
    assert cells["D1"].findtext("s:v", namespaces=NS) == "Hello world total"
    assert cells["E2"].findtext("s:f", namespaces=NS) == 'IF(C2="Yes",1,0)'
    assert cells["C1"].findtext("s:v", namespaces=NS) == "42"
    assert sheet.findtext(".//s:formula1", namespaces=NS) == '"Open,Closed"'
    sst = [rich(si) for si in read(built["pseudo"], "xl/sharedStrings.xml")]
    assert [sst[i][0][0] for i in (2, 3, 4, 5, 8, 9)] == [
        "12,345.00", "Yes", "Region", "Amount", pseudo("East"), "Open"]
    assert [sst[i][0][0] for i in (11, 12, 13)] == ["Product", "Units", pseudo("Widget")]  # a pivot cache's fields


def test_headers_footers_translate_between_codes(built) -> None:
    sheet = read(built["pseudo"], "xl/worksheets/sheet1.xml")
    assert sheet.findtext(".//s:oddHeader", namespaces=NS) == (
        f'&L&"Arial,Bold"{pseudo("Quarterly report")}&C{pseudo("Page ")}&P{pseudo(" of ")}&N&R&D')
    assert sheet.findtext(".//s:oddFooter", namespaces=NS) == f"&C{pseudo('Sales')} && {pseudo('marketing')}"
    parsed = xlsx_format.parse(built["source"].read_bytes(), FormatOptions())
    page = next(b for b in parsed.blocks if b.text == "Page  of ")
    assert page.spans == [(5, 5, 0), (9, 9, 1)] and page.words == {0, 1}  # fields read as words
    assert any(b.text == "Sales & marketing" and not b.spans for b in parsed.blocks)


@pytest.mark.parametrize(("translation", "spans", "written"), [
    ("Rapport ", [(0, 0, 0), (8, 8, 1)], "&L&14Rapport &P&C&&Co"),  # as the source had them
    ("3 rapport", [(0, 0, 0)], "&L&14 3 rapport&P&C&&Co"),  # a digit after the size code; the page field put back
    ("R&D ", [(4, 4, 1), (4, 4, 0)], "&LR&&D &P&14&C&&Co"),  # a literal & doubled; codes where they were put
])
def test_header_codes_survive_any_translation(tmp_path, translation, spans, written) -> None:
    """Whatever a translation does with the codes of a header section, they all come out, none merges with
    the text around it, and the untranslated sections stay as they were."""
    path = tmp_path / "h.xlsx"
    build_workbook(path)
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = re.sub("<oddHeader>.*?</oddHeader>", "<oddHeader>&amp;L&amp;14Report &amp;P&amp;C&amp;&amp;Co</oddHeader>",
                   sheet)
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    parsed = xlsx_format.parse(path.read_bytes(), FormatOptions())
    doc = Document("h.xlsx", "h.xlsx", "xlsx", parsed.blocks, parsed.skeleton, src_lang="en_XX")
    index = {b.text: i for i, b in enumerate(doc.blocks)}
    assert doc.blocks[index["Report "]].spans == [(0, 0, 0), (7, 7, 1)] and doc.blocks[index["Report "]].words == {1}
    assert "&Co" in index
    blocks: list[Block | None] = [None] * len(doc.blocks)
    blocks[index["Report "]] = Block(translation, spans)
    out = etree.fromstring(members_of(xlsx_format.render(doc, blocks, "fr_XX"))["xl/worksheets/sheet1.xml"])
    assert out.findtext(".//s:oddHeader", namespaces=NS) == written


@functools.cache
def built_bytes() -> bytes:
    buffer = io.BytesIO()
    build_workbook(buffer)
    return buffer.getvalue()


@settings(max_examples=80, deadline=None)
@given(text=st.text(max_size=30), cuts=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30),
                                                             st.integers(0, 3)), max_size=6))
def test_any_translation_writes_back_exactly(text, cuts) -> None:
    """Whatever the text (control characters, "_x0041_", "&", digits) and however the spans fall, the rich
    string and the header section read back as the translation, with every header code still there."""
    parsed = xlsx_format.parse(built_bytes(), FormatOptions())
    doc = Document("b.xlsx", "b.xlsx", "xlsx", parsed.blocks, parsed.skeleton, src_lang="en_XX")
    index = {b.text: i for i, b in enumerate(doc.blocks)}
    spans = [(min(a, b, len(text)), min(max(a, b), len(text)), ref) for a, b, ref in cuts]
    blocks: list[Block | None] = [None] * len(doc.blocks)
    blocks[index["The quick brown fox jumps"]] = Block(text, spans)
    blocks[index["Quarterly report"]] = Block(text, [(a, a, 0) for a, _, _ in spans[:1]])
    out = members_of(xlsx_format.render(doc, blocks, "fr_XX"))
    assert "".join(t for t, _ in rich(etree.fromstring(out["xl/sharedStrings.xml"])[1])) == text
    header = etree.fromstring(out["xl/worksheets/sheet1.xml"]).findtext(".//s:oddHeader", namespaces=NS)
    sections = xlsx_format._sections(decode(header))
    assert [code for code, _ in sections] == ["&L", "&C", "&R"]
    assert [t for is_code, t in sections[0][1] if is_code] == ['&"Arial,Bold"']
    assert "".join(t for is_code, t in sections[0][1] if not is_code) == text


def test_autofilter_values_follow_the_cells(built) -> None:
    """A filter shows the rows whose cell reads one of its values: they name the translated text (matched
    without case, as Excel does); a value no cell shows stays."""
    sheet = read(built["pseudo"], "xl/worksheets/sheet1.xml")
    assert [f.get("val") for f in sheet.iter(s("filter"))] == [pseudo("Hello world"), pseudo("Hello there"), "Autre"]
    table = read(built["pseudo"], "xl/tables/table1.xml")
    assert [f.get("val") for f in table.iter(s("filter"))] == [pseudo("East")]


def test_comments_and_threaded_comments(built) -> None:
    comments = read(built["pseudo"], "xl/comments1.xml")
    runs = rich(comments.find(".//s:comment/s:text", NS))
    assert [t for t, _ in runs] == [pseudo("Ann Lee:"), pseudo("\nCheck these numbers before Friday")]
    assert b"<b></b>" in runs[0][1] and b"<b></b>" not in runs[1][1]
    assert comments.findtext("s:authors/s:author", namespaces=NS) == "Ann Lee"
    assert rich(list(comments.iter(s("comment")))[1].find(s("text"))) == [("42", b"")]
    threads = read(built["pseudo"], "xl/threadedComments/threadedComment1.xml")
    text = threads.findtext(".//tc:text", namespaces=NS)
    assert pseudo_or_kept("@Ann Lee please review this cell", text)
    mention = threads.find(".//tc:mention", NS)
    assert (mention.get("startIndex"), mention.get("length")) == ("0", "8")
    assert members(built["pseudo"])["xl/persons/person.xml"] == members(built["source"])["xl/persons/person.xml"]
    core = read(built["pseudo"], "docProps/core.xml")
    assert core.findtext("{http://purl.org/dc/elements/1.1/}title") == pseudo("Quarterly sales")
    assert core.findtext("{http://purl.org/dc/elements/1.1/}creator") == "Ann Lee"


def test_drawings_and_charts(built) -> None:
    """The text boxes (one in a group), the chart's title, axis titles and data label and the text box drawn on
    the chart are translated, after the sheet's comments; the chart's cached values and formulas stay as the
    cells had them; into Arabic the paragraphs read right to left, a text box's alignment mirrored."""
    blocks = [b.text for b in xlsx_format.parse(built["source"].read_bytes(), FormatOptions()).blocks]
    drawn = ["Figures are preliminary.", "Ask the sales team before sharing.", "Grouped note", "Units sold by product",
             "Best seller", "Product name", "Units sold", "Source: store records"]
    assert blocks[blocks.index(drawn[0]):][:len(drawn)] == drawn
    assert blocks.index(drawn[0]) > blocks.index("Ann Lee:\nCheck these numbers before Friday")
    parts = {name: read(built["pseudo"], name) for name in (
        "xl/drawings/drawing1.xml", "xl/charts/chart1.xml", "xl/drawings/drawing2.xml")}
    got = [dml_text(p) for name, root in parts.items() for p in drawn_paragraphs(name, root)]
    assert got == [pseudo(t) for t in drawn]
    drawing, chart = parts["xl/drawings/drawing1.xml"], parts["xl/charts/chart1.xml"]
    ask = drawing.findall(".//a:p", NS)[1]
    assert [(r.findtext("a:t", namespaces=NS), r.find("a:rPr", NS).get("b")) for r in ask.iter(a("r"))] == [
        (pseudo("Ask "), None), (pseudo("the sales team"), "1"), (pseudo(" before sharing."), None)]
    assert chart.find("c:lang", NS).get("val") == "fr-FR"
    source = read(built["source"], "xl/charts/chart1.xml")
    for path in (".//c:v", ".//c:f"):
        assert [v.text for v in chart.iterfind(path, NS)] == [v.text for v in source.iterfind(path, NS)]
    assert [v.text for v in chart.iterfind(".//c:strCache//c:v", NS)] == ["Units", "Widget"]

    def layouts(member: str) -> list[tuple[str | None, str | None]]:
        return [(p.find("a:pPr", NS).get("rtl"), p.find("a:pPr", NS).get("algn"))
                for p in drawn_paragraphs(member, read(built["pseudo-ar"], member))]

    assert layouts("xl/drawings/drawing1.xml") == [("1", "r"), ("1", "r"), ("1", "l")]
    assert layouts("xl/charts/chart1.xml") == [("1", None)] * 4
    assert layouts("xl/drawings/drawing2.xml") == [("1", None)]
    assert read(built["pseudo-ar"], "xl/charts/chart1.xml").find("c:lang", NS).get("val") == "ar-SA"


def test_chartsheet_chart_is_translated() -> None:
    """A chartsheet's chart (its drawing relates it, as a worksheet's does) has its title translated."""
    title = f'<c:chart><c:title>{rich_text("Sales by month")}<c:overlay val="0"/></c:title>'.encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(corpus("xlsx", "chartsheet04.xlsx")) as zin, zipfile.ZipFile(buffer, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            chart = info.filename == "xl/charts/chart1.xml"
            zout.writestr(info, data.replace(b"<c:chart>", title, 1) if chart else data)
    parsed = xlsx_format.parse(buffer.getvalue(), FormatOptions())
    doc = Document("c.xlsx", "c.xlsx", "xlsx", parsed.blocks, parsed.skeleton, src_lang="en_XX")
    assert [b.text for b in doc.blocks] == ["Sales by month"]
    chart = etree.fromstring(members_of(xlsx_format.render(doc, [Block("Ventes par mois", [(0, 15, 0)])], "fr_XX"))[
        "xl/charts/chart1.xml"])
    assert [dml_text(p) for p in drawn_paragraphs("xl/charts/chart1.xml", chart)] == ["Ventes par mois"]
    assert chart.find("c:lang", NS).get("val") == "fr-FR"


def test_right_to_left_sheets(built, tmp_path) -> None:
    """Into Arabic both sheets read right to left: the one without views gets one, where the schema wants
    it; an Arabic workbook translated into French reads left to right again."""
    sheet2 = read(built["pseudo-ar"], "xl/worksheets/sheet2.xml")
    assert [etree.QName(c).localname for c in sheet2][:3] == ["dimension", "sheetViews", "sheetFormatPr"]
    assert [dict(v.attrib) for v in sheet2.iter(s("sheetView"))] == [{"workbookViewId": "0", "rightToLeft": "1"}]
    sheet1 = read(built["pseudo-ar"], "xl/worksheets/sheet1.xml")
    assert [dict(v.attrib) for v in sheet1.iter(s("sheetView"))] == [
        {"tabSelected": "1", "workbookViewId": "0", "rightToLeft": "1"}]

    data = built["pseudo-ar"].read_bytes()
    parsed = xlsx_format.parse(data, FormatOptions())
    doc = Document("a.xlsx", "a.xlsx", "xlsx", parsed.blocks, parsed.skeleton, src_lang="ar_AR")
    back = members_of(xlsx_format.render(doc, [None] * len(doc.blocks), "fr_XX"))
    for name in ("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"):
        assert all("rightToLeft" not in v.attrib for v in etree.fromstring(back[name]).iter(s("sheetView")))
    assert {k for k, v in back.items() if v != members_of(data)[k]} == {
        "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml", "xl/drawings/drawing1.xml", "xl/charts/chart1.xml",
        "xl/drawings/drawing2.xml"}  # their paragraphs read left to right again
    doc.src_lang = "fr_XX"
    assert members_of(xlsx_format.render(doc, [None] * len(doc.blocks), "de_DE")) == members_of(data)


def test_render_whitespace_and_reordered_runs(tmp_path) -> None:
    """xml:space="preserve" follows the translation's own edges; a translation that moves the bold words
    gets its runs from the projected spans; untranslated strings are not touched."""
    build_workbook(tmp_path / "in.xlsx")
    data = (tmp_path / "in.xlsx").read_bytes()
    parsed = xlsx_format.parse(data, FormatOptions())
    doc = Document("in.xlsx", "in.xlsx", "xlsx", parsed.blocks, parsed.skeleton, src_lang="en_XX")
    index = {b.text: i for i, b in enumerate(doc.blocks)}
    rich_block = doc.blocks[index["The quick brown fox jumps"]]
    bold = next(r for a, b, r in rich_block.spans if rich_block.text[a:b] == "quick brown")
    plain = next(r for a, b, r in rich_block.spans if a == 0)
    blocks: list[Block | None] = [None] * len(doc.blocks)
    blocks[index["Hello world"]] = Block(" Bonjour le monde ")
    blocks[index[" padded text "]] = Block("texte")
    blocks[index["The quick brown fox jumps"]] = Block("Le renard brun rapide saute", [(3, 21, bold), (0, 3, plain),
                                                                                    (21, 27, plain)])
    out = xlsx_format.render(doc, blocks, "fr_XX")
    assert xlsx_format.render(doc, blocks, "fr_XX") == out, "render does not change the skeleton"
    sst = etree.fromstring(members_of(out)["xl/sharedStrings.xml"])
    assert [(t.text, t.get(XML_SPACE)) for t in sst[0].iter(s("t"))] == [(" Bonjour le monde ", "preserve")]
    assert [(t.text, t.get(XML_SPACE)) for t in sst[7].iter(s("t"))] == [("texte", None)]
    assert [(t, b"<b></b>" in f) for t, f in rich(sst[1])] == [
        ("Le ", False), ("renard brun rapide", True), (" saute", False)]
    source = etree.fromstring(members_of(data)["xl/sharedStrings.xml"])
    assert [etree.tostring(a) == etree.tostring(b) for a, b in zip(source, sst)] == [
        i not in (0, 1, 7) for i in range(len(STRINGS))]
    changed = {k for k, v in members_of(out).items() if v != members_of(data)[k]}
    assert changed == {"xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"}  # its autofilter names "Hello world"
    sheet = etree.fromstring(members_of(out)["xl/worksheets/sheet1.xml"])
    assert [f.get("val") for f in sheet.iter(s("filter"))] == [" Bonjour le monde ", "Hello there", "Autre"]


def test_not_a_workbook(tmp_path) -> None:
    from babelflow.documents import DocumentError

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("word/document.xml", "<w:document xmlns:w='x'/>")
    with pytest.raises(DocumentError, match="not an Excel workbook but a Word document"):
        xlsx_format.parse(buffer.getvalue(), FormatOptions())


# --- LibreOffice ----------------------------------------------------------------------------------------

ODF = {"office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
       "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
       "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
       "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
       "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
       "chart": "urn:oasis:names:tc:opendocument:xmlns:chart:1.0"}


def odf(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{ODF[prefix]}}}{local}"


@pytest.fixture
def calc(tmp_path):
    """Open workbooks in LibreOffice Calc, as flat OpenDocument (what a user of another spreadsheet sees)."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")

    def convert(*paths: Path) -> list[etree._Element | None]:
        out = []
        for i, path in enumerate(paths):  # one folder each: the outputs share their name
            folder = tmp_path / str(i)
            subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                            "--convert-to", "fods", "--outdir", str(folder), str(path)], capture_output=True,
                           timeout=180)
            converted = folder / (path.stem + ".fods")
            out.append(etree.parse(str(converted)).getroot() if converted.exists() else None)
        if out[0] is None:
            pytest.skip("LibreOffice Calc is not installed (soffice cannot open .xlsx; libreoffice-calc-nogui)")
        return out

    return convert


def test_libreoffice_reads_the_translation(built, calc) -> None:
    """Calc opens the translated workbooks: the sheets keep their names, the cells, comment, header, text boxes
    and chart titles show the translation, page fields stay fields, formulas are as they were; in Arabic every
    sheet reads right to left."""
    source, fr, ar = calc(built["source"], built["pseudo"], built["pseudo-ar"])
    assert fr is not None and ar is not None

    def sheets(root: etree._Element) -> list[etree._Element]:  # not the tables of the charts' data
        return root.findall("office:body/office:spreadsheet/table:table", ODF)

    tables = sheets(fr)
    assert [t.get(odf("table:name")) for t in tables] == ["Sales Data", "Notes"]
    cells = ["".join(p.itertext()) for p in tables[0].iter(odf("text:p"))
             if next(p.iterancestors(odf("office:annotation")), None) is None]
    assert pseudo("Hello world") in cells and pseudo("The quick brown fox jumps") in cells and "Yes" in cells
    note = "".join(fr.find(".//office:annotation", ODF).itertext())
    assert pseudo("Check these numbers before Friday") in note
    header = next(h for h in fr.iter(odf("style:header")) if h.find("style:region-left", ODF) is not None)
    assert pseudo("Quarterly report") in "".join(header.find("style:region-left", ODF).itertext())
    assert header.find("style:region-center//text:page-number", ODF) is not None
    formulas = [c.get(odf("table:formula")) for c in fr.iter(odf("table:table-cell")) if c.get(odf("table:formula"))]
    assert formulas == [c.get(odf("table:formula")) for c in source.iter(odf("table:table-cell"))
                        if c.get(odf("table:formula"))]
    assert 'of:=IF([.C2]="Yes";1;0)' in formulas
    titles = ["".join(title.itertext()).strip() for title in fr.iter(odf("chart:title"))]
    assert titles == [pseudo("Units sold by product"), pseudo("Product name"), pseudo("Units sold")]
    boxes = {shape.get(odf("draw:name")): ["".join(p.itertext()) for p in shape.iter(odf("text:p"))]
             for shape in fr.iter(odf("draw:custom-shape"))}
    assert boxes == {"TextBox 3": [pseudo("Figures are preliminary."), pseudo("Ask the sales team before sharing.")],
                     "TextBox 5": [pseudo("Grouped note")], "TextBox 2": [pseudo("Source: store records")]}

    def writing_modes(root: etree._Element) -> list[str | None]:
        styles = {st.get(odf("style:name")): st for st in root.iter(odf("style:style"))
                  if st.get(odf("style:family")) == "table"}
        return [styles[t.get(odf("table:style-name"))].find("style:table-properties", ODF).get(
            odf("style:writing-mode")) for t in sheets(root)]

    assert writing_modes(ar) == ["rl-tb", "rl-tb"] and "rl-tb" not in writing_modes(fr)


def test_libreoffice_opens_corpus_translations(corpus_runs, calc) -> None:
    # Not button12.xlsx into Arabic: LibreOffice 7.4 fails to write a right-to-left sheet with a form button as
    # OpenDocument, the source with rightToLeft="1" and nothing else changed as well (it opens it fine).
    outputs = [corpus_runs[kind] / name for name in ("rich_string09.xlsx", "comment06.xlsx", "table08.xlsx",
                                                     "autofilter06.xlsx", "optimize04.xlsx", "header01.xlsx")
               for kind in ("pseudo", "pseudo-ar")] + [corpus_runs["pseudo"] / "button12.xlsx"]
    converted = calc(corpus("xlsx", "rich_string09.xlsx"), *outputs)
    assert [path for path, root in zip(outputs, converted[1:]) if root is None] == []
    assert pseudo("Region") in "".join(converted[7].itertext())  # autofilter06, French


def plain(value):
    """A cell value comparable by ==: array and data-table formulas are objects that compare by identity."""
    return (type(value), vars(value)) if hasattr(value, "__dict__") else value


def test_openpyxl_reads_every_translation(corpus_runs) -> None:
    """openpyxl, which most tools read workbooks with, opens every Arabic output: the same sheets, cells,
    numbers and formulas, strings translated in place (pseudo keeps their length), sheets right to left."""
    import openpyxl

    for path in XLSX:
        source = openpyxl.load_workbook(path)
        output = openpyxl.load_workbook(corpus_runs["pseudo-ar"] / path.name)
        assert output.sheetnames == source.sheetnames, path.name
        for old_sheet, new_sheet in zip(source.worksheets, output.worksheets):
            assert new_sheet.sheet_view.rightToLeft, (path.name, new_sheet.title)
            old_cells = [(c.coordinate, plain(c.value)) for row in old_sheet.iter_rows() for c in row]
            new_cells = [(c.coordinate, plain(c.value)) for row in new_sheet.iter_rows() for c in row]
            assert [c for c, _ in new_cells] == [c for c, _ in old_cells], path.name
            for (where, old), (_, new) in zip(old_cells, new_cells):
                if isinstance(old, str) and not old.startswith("="):
                    assert isinstance(new, str) and len(new) == len(old), (path.name, where, old, new)
                else:
                    assert new == old, (path.name, where, old, new)
