"""Excel workbooks: every shared string is a block (translated once, however many cells show it), and so
is every inline string, cell comment, threaded comment, header and footer section (the text between the
`&` codes: the codes are inline objects, page numbers and dates read as words), and the core properties
a reader sees (title, subject, description, keywords). After a sheet's comments come the paragraphs of its
drawings (a chartsheet has one too): shapes, text boxes and grouped shapes, the titles and labels of their
charts (c:rich) and the text boxes drawn on a chart, read and written as PowerPoint's (drawingml.py). A
chart's series names, categories and numbers are cached cell values (c:strCache, c:numCache) and stay as
they are, and so does the cell text a shape shows through a link to its cell (a TxLink field, a word).

Rich text (runs with their own font) is flattened like DOCX runs: one ref per distinct run format, written
back run by run from the projected spans. Phonetic runs (rPh) and their properties are kept as they are.

What a formula can see stays as it is, so that no formula's result changes: numbers, formulas and their
cached values, sheet names, defined names, data validation lists; the header and totals cells of tables
(their column names, which structured references use) and the header row of a pivot table's source range
(its field names); and any string a formula, a defined name, a conditional format or a data validation
list spells out as a literal (`=IF(A1="Yes", ...)`), wherever a cell shows it. So is every string without
a letter. Autofilter values follow the cells they name, so a filter applied again shows the same rows.

The zip package is read with lxml. Only the parts whose text changed are rewritten, and the worksheets,
drawings and charts whose direction changes: into a right-to-left language every worksheet reads right to
left (`sheetView rightToLeft="1"`, as Excel sets it) and every paragraph of a drawing or a chart reads
right to left (a:pPr rtl="1"), its alignment mirrored as in PowerPoint: `l` (its own, or a sheet's
drawing's default) becomes `r` and the other way round; from a right-to-left source into a left-to-right
language they read left to right again. Translated DrawingML runs take the target language
(`lang`). Every other member is copied byte for byte.
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from lxml import etree

from babelflow.documents import Block, Document, DocumentError, Span, has_letters
from babelflow.languages import is_rtl, sets_direction
from babelflow.tasks.formats import FormatOptions, Parsed
from babelflow.tasks.formats.drawingml import (P, chart_drawings, chart_paragraphs, layout, place, set_direction,
                                               write_paragraphs)
from babelflow.tasks.formats.office import language_tag, main_part, read_properties, write_properties
from babelflow.tasks.formats.package import R_ID, open_package, read_xml, related, relationships, repackage, serialize_xml
from babelflow.tasks.formats.spans import pieces

S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"
TC = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def s(name: str) -> str:
    return f"{{{S}}}{name}"


_T, _R, _RPR, _SI, _IS, _C, _ROW, _V, _F = map(s, ("t", "r", "rPr", "si", "is", "c", "row", "v", "f"))
_HEADER_FOOTER, _FILTER = s("headerFooter"), s("filter")
_HF_TEXTS = frozenset(map(s, ("oddHeader", "oddFooter", "evenHeader", "evenFooter", "firstHeader", "firstFooter")))
_SHEET_VIEWS, _SHEET_VIEW = s("sheetViews"), s("sheetView")
_BEFORE_VIEWS = frozenset(map(s, ("sheetPr", "dimension")))  # what the schema puts before sheetViews
_COMMENT, _COMMENT_TEXT = s("comment"), s("text")
_THREAD, _THREAD_TEXT, _MENTIONS, _MENTION = (f"{{{TC}}}{n}"
                                               for n in ("threadedComment", "text", "mentions", "mention"))
# Where formulas live: cells, conditional formats, data validations (formula1/2 hold their lists).
_FORMULAS = tuple(map(s, ("f", "formula", "formula1", "formula2")))
# Excel 2010 extensions (data validations and conditional formats that refer to other sheets) write theirs as xm:f.
_XM_F = "{http://schemas.microsoft.com/office/excel/2006/main}f"
_X14_VALIDATION = "{http://schemas.microsoft.com/office/spreadsheetml/2009/9/main}dataValidation"

# SpreadsheetML strings (ST_Xstring) write characters XML cannot hold as _xHHHH_, and a literal _xHHHH_
# as _x005F_xHHHH_; the text of a block has the characters themselves.
_ESCAPE = re.compile("_x([0-9A-Fa-f]{4})_")
_UNWRITABLE = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")  # \r too: a parser would read it as \n
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")  # plain strings drop them

# Header and footer codes: &L &C &R start the left, centre and right sections; &P &N &D &T &A &F &Z are
# the page, pages, date, time, sheet, file and path; &"font,style", &nn (size), &Kcolor, &B &I &U...
# format what follows; && is a literal ampersand.
_CODE = re.compile(r'&(?:"[^"]*"?|K[0-9A-Fa-f+\-]{6}|\d+|[PN](?:[+\-]\d+)?|.|$)', re.S)
_SECTIONS = frozenset(("&L", "&C", "&R"))
_FIELDS = re.compile(r"&(?:[PN](?:[+\-]\d+)?|[DTAFZ])")  # read as words: "Page &P of &N"
_LITERAL = re.compile(r'"((?:[^"]|"")*)"')
_CELL = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")
_DRAWN = frozenset(("drawing", "chart", "shapes"))  # parts of DrawingML paragraphs


@dataclass(frozen=True)
class _Part:
    name: str
    # strings, worksheet, chartsheet, comments, threads, table, drawing, chart, shapes (a chart's drawing)
    kind: str
    # (where, block index): ("si", n), ("is", n), ("hf", n, section), ("comment", n), ("thread", n), ("p", n)
    placed: tuple[tuple[tuple[Any, ...], int], ...]
    filters: bool = False  # has autofilter values (the text of the cells a filter shows)


@dataclass(frozen=True)
class _Skeleton:
    data: bytes
    parts: tuple[_Part, ...]
    properties: tuple[str, tuple[tuple[str, int], ...]] | None  # core properties part: (element tag, block index)


def parse(data: bytes, options: FormatOptions) -> Parsed:
    package = open_package(data, "XLSX")
    workbook = _workbook(package)
    worksheets = related(package, workbook, ("worksheet",))
    roots = {name: read_xml(package, name) for name in worksheets}
    book = read_xml(package, workbook)
    kept = _kept_cells(package, roots, workbook, book)
    literals = _formula_literals(book, roots.values())

    blocks: list[Block] = []
    parts: list[_Part] = []
    drawn: set[str] = set()

    def block(text: str, spans: list[Span] | None = None, words: frozenset[int] = frozenset(),
              keep: bool = False, cell: bool = False) -> int:
        translatable = not keep and has_letters(text) and not (cell and text.casefold() in literals)
        blocks.append(Block(text, spans or [], translatable=translatable, words=words))
        return len(blocks) - 1

    def string(element: Any, keep: bool = False, cell: bool = False) -> int:
        rich = _read_rich(element)
        return block(rich.text, rich.spans, keep=keep, cell=cell)

    for name in related(package, workbook, ("sharedStrings",)):
        items = read_xml(package, name).iterchildren(_SI)
        placed = [(("si", i), string(si, keep=i in kept.strings, cell=True)) for i, si in enumerate(items)]
        parts.append(_Part(name, "strings", tuple(placed)))
    sheets = [(name, "worksheet") for name in worksheets]
    sheets += [(name, "chartsheet") for name in related(package, workbook, ("chartsheet", "dialogsheet"))]
    for name, kind in sheets:
        root = roots.get(name)
        root = read_xml(package, name) if root is None else root
        placed = []
        for i, element in enumerate(root.iter(_IS)):
            if element not in kept.inline and element.getparent().find(_F) is None:
                placed.append((("is", i), string(element, cell=True)))
        for i, element in enumerate(_header_footer_texts(root)):
            for j, (_, tokens) in enumerate(_sections(_decode(element.text or ""))):
                text, spans, words = _section_block(tokens)
                if has_letters(text):
                    placed.append((("hf", i, j), block(text, spans, words)))
        parts.append(_Part(name, kind, tuple(placed), _has_filters(root)))
        for table in related(package, name, ("table",)) if kind == "worksheet" else ():
            if _has_filters(read_xml(package, table)):
                parts.append(_Part(table, "table", (), True))
        for comments in related(package, name, ("comments",)):
            items = read_xml(package, comments).iter(_COMMENT)
            placed = [(("comment", i), string(_rich_text(c))) for i, c in enumerate(items)]
            parts.append(_Part(comments, "comments", tuple(placed)))
        for threads in related(package, name, ("threadedComment",)):
            items = read_xml(package, threads).iter(_THREAD)
            placed = [(("thread", i), block(*_read_thread(c))) for i, c in enumerate(items)]
            parts.append(_Part(threads, "threads", tuple(placed)))
        for drawing, drawing_kind in _drawings(package, name):
            if drawing not in drawn:
                drawn.add(drawing)
                paragraphs = _paragraphs(read_xml(package, drawing), drawing_kind)
                placed = [(("p", i), b) for i, b in place(paragraphs, blocks, {}).items()]
                parts.append(_Part(drawing, drawing_kind, tuple(placed)))
    properties = read_properties(package, blocks)
    kept_parts = tuple(p for p in parts if p.placed or p.filters or p.kind == "worksheet")
    return Parsed(blocks, _Skeleton(data, kept_parts, properties))


def render(doc: Document, blocks: list[Block | None], tgt: str) -> bytes:
    skeleton: _Skeleton = doc.skeleton
    package = zipfile.ZipFile(io.BytesIO(skeleton.data))
    rtl = is_rtl(tgt)
    direction = sets_direction(doc.src_lang, tgt)
    tag = language_tag(tgt)
    changed: dict[str, bytes] = {}
    todos = [{where: blocks[b] for where, b in part.placed
              if blocks[b] is not None and _differs(doc.blocks[b], blocks[b])} for part in skeleton.parts]
    renamed = _renamed(skeleton.parts, todos, doc.blocks)
    for part, todo in zip(skeleton.parts, todos):
        turn = direction and (part.kind == "worksheet" or part.kind in _DRAWN)
        refilter = part.filters and bool(renamed)
        if not todo and not turn and not refilter:
            continue
        root = read_xml(package, part.name)
        dirty = bool(todo)
        if refilter:
            dirty |= _write_filters(root, renamed)
        if part.kind == "strings":
            items = list(root.iterchildren(_SI))
            for (_, i), new in todo.items():
                _write_rich(items[i], new)
        elif part.kind == "comments":
            items = list(root.iter(_COMMENT))
            for (_, i), new in todo.items():
                _write_rich(_rich_text(items[i]), new)
        elif part.kind == "threads":
            items = list(root.iter(_THREAD))
            for (_, i), new in todo.items():
                _write_thread(items[i], new)
        elif part.kind in _DRAWN:
            paragraphs = _paragraphs(root, part.kind)
            write_paragraphs(root, paragraphs, {i: new for (_, i), new in todo.items()}, tag)
            if turn:
                default = "l" if part.kind == "drawing" else None  # a chart aligns its own text
                dirty |= set_direction(root, paragraphs, rtl, lambda para: layout(para, [], default))
        elif part.kind != "table":
            _write_sheet(root, todo)
            if turn:
                dirty |= _set_direction(root, rtl)
        if dirty:
            changed[part.name] = serialize_xml(root)
    if skeleton.properties:
        differ = [b if b is not None and _differs(a, b) else None for a, b in zip(doc.blocks, blocks)]
        changed.update(write_properties(package, skeleton.properties, differ))
    return repackage(package, changed)


def _drawings(package: zipfile.ZipFile, sheet: str) -> list[tuple[str, str]]:
    """The sheet's drawings, each followed by its charts, each followed by the drawings on the chart."""
    out = []
    for drawing in related(package, sheet, ("drawing",)):
        out.append((drawing, "drawing"))
        for chart in related(package, drawing, ("chart",)):
            out += [(chart, "chart"), *((shapes, "shapes") for shapes in chart_drawings(package, chart))]
    return out


def _paragraphs(root: Any, kind: str) -> list[Any]:
    """The part's paragraphs with text: a chart's titles and labels, a drawing's every paragraph."""
    return chart_paragraphs(root) if kind == "chart" else list(root.iter(P))


def _differs(old: Block, new: Block) -> bool:
    return new.text != old.text or bool(new.spans or old.spans) and sorted(new.spans) != sorted(old.spans)


def _has_filters(root: Any) -> bool:
    return any(has_letters(f.get("val", "")) for f in root.iter(_FILTER))


def _renamed(parts: tuple[_Part, ...], todos: list[dict], sources: list[Block]) -> dict[str, str]:
    """Cell text -> its translation, for the values autofilters show (the first translation of a text wins)."""
    out: dict[str, str] = {}
    if not any(part.filters for part in parts):
        return out
    for part, todo in zip(parts, todos):
        for where, b in part.placed:
            if where[0] in ("si", "is") and where in todo:
                out.setdefault(sources[b].text, todo[where].text)
    return out


def _write_filters(root: Any, renamed: dict[str, str]) -> bool:
    """Autofilter values that name a translated cell text name its translation, so the filter shows the
    same rows when it is applied again. Custom filters (patterns, comparisons) stay as they are."""
    folded = {}
    for old, new in renamed.items():
        folded.setdefault(old.casefold(), new)
    changed = False
    for element in root.iter(_FILTER):
        val = element.get("val")
        new = renamed.get(val, folded.get(val.casefold())) if val is not None else None
        if new is not None and new != val:
            element.set("val", _NOT_XML.sub("", new))
            changed = True
    return changed


def _workbook(package: zipfile.ZipFile) -> str:
    main = main_part(package, "XLSX")
    root = read_xml(package, main)
    if root.tag == f"{{{_STRICT}}}workbook":
        raise DocumentError(f"{main} is a Strict Open XML workbook, which is not supported"
                            " (save it as an Excel Workbook)")
    if root.tag != s("workbook"):
        raise DocumentError(f"{main} is not a SpreadsheetML workbook")
    return main


# --- strings: escapes, rich text ----------------------------------------------------------------------


def _decode(text: str) -> str:
    if "_x" not in text:
        return text

    def char(m: re.Match) -> str:
        code = int(m.group(1), 16)
        return m.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)

    return _ESCAPE.sub(char, text)


def _encode(text: str) -> str:
    text = _ESCAPE.sub(lambda m: "_x005F" + m.group(0), _SURROGATE.sub("", text))
    return _UNWRITABLE.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def _set_text(t: Any, text: str) -> None:
    """`t` holds `text`, with xml:space="preserve" exactly where it has leading or trailing whitespace."""
    t.text = _encode(text) or None
    if text[:1].isspace() or text[-1:].isspace():
        t.set(_XML_SPACE, "preserve")
    elif _XML_SPACE in t.attrib:
        del t.attrib[_XML_SPACE]


def _child(element: Any, tag: str) -> Any:
    """The first child with this tag (find() parses its path on every call: slow over 100,000s of strings)."""
    return next(element.iterchildren(tag), None)


def _format_key(run: Any) -> bytes:
    rpr = _child(run, _RPR) if run is not None else None
    return etree.tostring(rpr, method="c14n", exclusive=True) if rpr is not None and len(rpr) else b""


@dataclass
class _Rich:
    text: str
    spans: list[Span]
    runs: bool  # written as runs (r), not as one plain t
    formats: dict[int, Any]  # ref -> the first run with that format (None: the plain t)
    dominant: int | None  # the format of most characters: for text the projection left unformatted


def _read_rich(element: Any) -> _Rich:
    """A string (CT_Rst: a shared string, an inline string, a comment): its text, and one span per run
    format when its runs have more than one. Phonetic runs (rPh) are not text."""
    if len(element) == 1 and element[0].tag == _T:  # most strings: one plain t
        text = _decode(element[0].text or "")
        return _Rich(text, [], False, {0: None} if text else {}, 0 if text else None)
    keys: dict[bytes, int] = {}
    formats: dict[int, Any] = {}
    sizes: dict[int, int] = {}
    ranges: list[list[int]] = []
    parts: list[str] = []
    runs = False
    start = 0
    for child in element:
        if child.tag == _T:
            run, t = None, child
        elif child.tag == _R:
            runs, run, t = True, child, _child(child, _T)
        else:
            continue
        text = _decode(t.text or "") if t is not None else ""
        if not text:
            continue
        ref = keys.setdefault(_format_key(run), len(keys))
        formats.setdefault(ref, run)
        if ranges and ranges[-1][2] == ref and ranges[-1][1] == start:
            ranges[-1][1] += len(text)
        else:
            ranges.append([start, start + len(text), ref])
        sizes[ref] = sizes.get(ref, 0) + len(text)
        parts.append(text)
        start += len(text)
    spans = [(a, b, ref) for a, b, ref in ranges] if len(keys) > 1 else []
    dominant = max(sizes, key=lambda r: (sizes[r], -r)) if sizes else None
    return _Rich("".join(parts), spans, runs, formats, dominant)


def _write_rich(element: Any, block: Block) -> None:
    """Replace the string's text (t, r) with the translation: one run per piece of uniform format where
    the source had runs, else one t. Phonetic runs and properties after them stay."""
    if len(element) == 1 and element[0].tag == _T:  # most strings: one plain t, and it stays one
        _set_text(element[0], block.text)
        return
    rich = _read_rich(element)
    after = [child for child in element if child.tag not in (_T, _R)]  # rPh, phoneticPr: after the text
    for child in list(element):
        if child.tag in (_T, _R):
            element.remove(child)
    chosen: list[list[Any]] = []  # [ref, text]
    for piece in pieces(block.text, block.spans) if rich.runs else ():
        if piece.atom is not None:
            continue
        ref = min((r for r in piece.refs if r in rich.formats), key=lambda r: (r == rich.dominant, r),
                  default=rich.dominant)
        if chosen and chosen[-1][0] == ref:
            chosen[-1][1] += block.text[piece.start:piece.end]
        else:
            chosen.append([ref, block.text[piece.start:piece.end]])
    # Built in place (SubElement): elements made apart and inserted cost a namespace walk each.
    if not rich.runs or not chosen:
        _set_text(etree.SubElement(element, _T), block.text)
    used: set[int] = set()
    for ref, text in chosen if rich.runs else ():
        source = rich.formats.get(ref) if ref is not None else None
        run = etree.SubElement(element, _R, dict(source.attrib) if source is not None else {})
        rpr = _child(source, _RPR) if source is not None else None
        if rpr is not None:  # the source run's own properties (it was removed), copies after that
            run.append(copy.deepcopy(rpr) if ref in used else rpr)
            run[-1].tail = None
            used.add(ref)
        _set_text(etree.SubElement(run, _T), text)
    for child in after:
        element.append(child)


def _rich_text(comment: Any) -> Any:
    """A comment's text element, created empty where missing."""
    text = comment.find(_COMMENT_TEXT)
    if text is None:
        text = comment.makeelement(_COMMENT_TEXT, {})
        comment.insert(0, text)
    return text


# --- threaded comments ---------------------------------------------------------------------------------


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _index(text: str, units: int) -> int:
    """The character offset into `text` of `units` UTF-16 code units."""
    seen = 0
    for i, char in enumerate(text):
        if seen >= units:
            return i
        seen += 2 if ord(char) > 0xFFFF else 1
    return len(text)


def _read_thread(comment: Any) -> tuple[str, list[Span]]:
    """A threaded comment's plain text; its @mentions (UTF-16 offsets into it) are spans, moved with the name."""
    element = comment.find(_THREAD_TEXT)
    text = element.text or "" if element is not None else ""
    spans = []
    for ref, mention in enumerate(comment.iter(_MENTION)):
        try:
            start, length = int(mention.get("startIndex", "")), int(mention.get("length", ""))
        except ValueError:
            continue
        a, b = _index(text, start), _index(text, start + length)
        if b > a:
            spans.append((a, b, ref))
    return text, spans


def _write_thread(comment: Any, block: Block) -> None:
    text = _NOT_XML.sub("", block.text)
    comment.find(_THREAD_TEXT).text = text
    where: dict[int, tuple[int, int]] = {}
    for a, b, ref in block.spans:
        if b > a:
            lo, hi = where.get(ref, (a, b))
            where[ref] = (min(lo, a), max(hi, b))
    for ref, mention in enumerate(list(comment.iter(_MENTION))):
        if ref in where:
            a, b = where[ref]
            mention.set("startIndex", str(_utf16(text[:a])))
            mention.set("length", str(_utf16(text[a:b])))
        else:  # the projection lost the name: no mention points into text that is not it
            mention.getparent().remove(mention)
    for mentions in list(comment.iter(_MENTIONS)):
        if not len(mentions):
            mentions.getparent().remove(mentions)


# --- headers and footers -------------------------------------------------------------------------------


def _header_footer_texts(root: Any) -> list[Any]:
    """oddHeader, oddFooter... of the sheet and of its custom views, in document order."""
    return [e for hf in root.iter(_HEADER_FOOTER) for e in hf if e.tag in _HF_TEXTS]


def _tokens(value: str) -> list[tuple[bool, str]]:
    """(is a code, string) in order; the text between codes, && read as &."""
    out: list[tuple[bool, str]] = []
    pos = 0
    for m in _CODE.finditer(value):
        if m.start() > pos:
            out.append((False, value[pos:m.start()]))
        out.append((False, "&") if m.group() == "&&" else (True, m.group()))
        pos = m.end()
    if pos < len(value):
        out.append((False, value[pos:]))
    merged: list[tuple[bool, str]] = []
    for code, string in out:
        if merged and not code and not merged[-1][0]:
            merged[-1] = (False, merged[-1][1] + string)
        else:
            merged.append((code, string))
    return merged


def _sections(value: str) -> list[tuple[str, list[tuple[bool, str]]]]:
    """(section code, its tokens); text before the first section code is a section of its own ("")."""
    out: list[tuple[str, list[tuple[bool, str]]]] = [("", [])]
    for code, string in _tokens(value):
        if code and string in _SECTIONS:
            out.append((string, []))
        else:
            out[-1][1].append((code, string))
    return out if out[0][1] else out[1:]


def _section_block(tokens: list[tuple[bool, str]]) -> tuple[str, list[Span], frozenset[int]]:
    """A section's text; each code an inline object (refs in order), fields read as words."""
    text, spans, words = "", [], set()
    for code, string in tokens:
        if code:
            ref = len(spans)
            spans.append((len(text), len(text), ref))
            if _FIELDS.fullmatch(string):
                words.add(ref)
        else:
            text += string
    return text, spans, frozenset(words)


def _write_section(code: str, tokens: list[tuple[bool, str]], block: Block) -> str:
    out = [code]
    placed: set[int] = set()
    codes = dict(enumerate(string for is_code, string in tokens if is_code))

    def add_text(text: str) -> None:
        if not text:
            return
        text = text.replace("&", "&&")
        last = out[-1]
        if last.startswith("&") and (m := _CODE.match(last + text)) and m.end() > len(last):
            text = " " + text  # "&12" then "3 pages" would read as size 123
        out.append(text)

    for piece in pieces(block.text, block.spans):
        if piece.atom is None:
            add_text(block.text[piece.start:piece.end])
        elif piece.atom in codes:
            out.append(codes[piece.atom])
            placed.add(piece.atom)
    out += [string for ref, string in codes.items() if ref not in placed]  # never drop a code
    return "".join(out)


def _unparse(code: str, tokens: list[tuple[bool, str]]) -> str:
    return code + "".join(string if is_code else string.replace("&", "&&") for is_code, string in tokens)


# --- worksheets ---------------------------------------------------------------------------------------


def _write_sheet(root: Any, todo: dict[tuple[Any, ...], Block]) -> None:
    inline = {where[1]: new for where, new in todo.items() if where[0] == "is"}
    if inline:
        for i, element in enumerate(root.iter(_IS)):
            if i in inline:
                _write_rich(element, inline[i])
    headers: dict[int, dict[int, Block]] = {}
    for where, new in todo.items():
        if where[0] == "hf":
            headers.setdefault(where[1], {})[where[2]] = new
    if headers:
        for i, element in enumerate(_header_footer_texts(root)):
            if i in headers:
                sections = _sections(_decode(element.text or ""))
                element.text = _encode("".join(
                    _write_section(code, tokens, headers[i][j]) if j in headers[i] else _unparse(code, tokens)
                    for j, (code, tokens) in enumerate(sections)))


def _set_direction(root: Any, rtl: bool) -> bool:
    """Every view of the sheet right to left (or back to left to right); whether anything changed."""
    views = root.find(_SHEET_VIEWS)
    if views is None or views.find(_SHEET_VIEW) is None:
        if not rtl:
            return False
        if views is None:
            views = root.makeelement(_SHEET_VIEWS, {})
            before = [i for i, child in enumerate(root) if child.tag in _BEFORE_VIEWS]
            root.insert(before[-1] + 1 if before else 0, views)
        views.append(views.makeelement(_SHEET_VIEW, {"workbookViewId": "0"}))
    changed = False
    for view in views.iterchildren(_SHEET_VIEW):
        if rtl and view.get("rightToLeft") not in ("1", "true"):
            view.set("rightToLeft", "1")
            changed = True
        elif not rtl and "rightToLeft" in view.attrib:
            del view.attrib["rightToLeft"]
            changed = True
    return changed


@dataclass
class _Kept:
    strings: set[int]  # shared string indices
    inline: set[Any]  # inline string elements


def _column(letters: str) -> int:
    n = 0
    for char in letters.upper():
        n = n * 26 + ord(char) - 64
    return n


def _bounds(ref: str | None) -> tuple[int, int, int, int] | None:
    """First row, first column, last row, last column of a range ("C3:F14"; "C3" is one cell)."""
    cells = [_CELL.fullmatch(x) for x in (ref or "").split(":")]
    if not 1 <= len(cells) <= 2 or not all(cells):
        return None
    (c0, r0), (c1, r1) = ((_column(m.group(1)), int(m.group(2))) for m in (cells[0], cells[-1]))
    return r0, c0, r1, c1


def _kept_cells(package: zipfile.ZipFile, roots: dict[str, Any], workbook: str, book: Any) -> _Kept:
    """The strings in the header and totals rows of tables (their column names and labels: the table part,
    which Excel checks against the cells, and structured references repeat them), and in the header row of
    the range a pivot table summarises (its field names: a refresh would drop a field no cell names)."""
    kept = _Kept(set(), set())
    header_rows = _pivot_sources(package, workbook, book)
    for name, root in roots.items():
        rows: dict[int, list[tuple[int, int]]] = {}
        for r0, c0, c1 in header_rows.get(name, ()):
            rows.setdefault(r0, []).append((c0, c1))
        for table in related(package, name, ("table",)):
            element = read_xml(package, table)
            if (bounds := _bounds(element.get("ref"))) is None:
                continue
            r0, c0, r1, c1 = bounds
            if element.get("headerRowCount", "1") != "0":
                rows.setdefault(r0, []).append((c0, c1))
            if element.get("totalsRowCount", "0") not in ("0", ""):
                rows.setdefault(r1, []).append((c0, c1))
        if rows:
            for row, column, cell in _cells(root, rows):
                if any(a <= column <= b for a, b in rows[row]):
                    v = _child(cell, _V)
                    if cell.get("t") == "s" and v is not None and (v.text or "").strip().isdigit():
                        kept.strings.add(int(v.text))
                    elif (inline := _child(cell, _IS)) is not None:
                        kept.inline.add(inline)
    return kept


def _pivot_sources(package: zipfile.ZipFile, workbook: str, book: Any) -> dict[str, list[tuple[int, int, int]]]:
    """Worksheet part -> (row, first column, last column) of the header rows of the ranges pivot caches read."""
    out: dict[str, list[tuple[int, int, int]]] = {}
    caches = related(package, workbook, ("pivotCacheDefinition",))
    if not caches:
        return out
    targets = {rid: name for rid, _, name in relationships(package, workbook)}
    sheets = {sheet.get("name"): targets.get(sheet.get(R_ID)) for sheet in book.iter(s("sheet"))}
    for cache in caches:
        source = read_xml(package, cache).find(f"{s('cacheSource')}/{s('worksheetSource')}")
        if source is None or source.get(R_ID):  # none, or in another workbook
            continue
        part, bounds = sheets.get(source.get("sheet")), _bounds(source.get("ref"))
        if part and bounds:
            out.setdefault(part, []).append((bounds[0], bounds[1], bounds[3]))
    return out


def _cells(root: Any, rows: dict[int, Any]):
    """(row, column, c) of the cells in these rows; positions the file leaves out follow the previous ones."""
    data = _child(root, s("sheetData"))
    row_number = 0
    for row in data.iterchildren(_ROW) if data is not None else ():
        r = row.get("r")
        row_number = int(r) if r and r.isdigit() else row_number + 1
        if row_number not in rows:
            continue
        column = 0
        for cell in row.iterchildren(_C):
            m = _CELL.fullmatch(cell.get("r") or "")
            column = _column(m.group(1)) if m else column + 1
            yield row_number, column, cell


def _formula_literals(workbook: Any, sheets: Any) -> set[str]:
    """Strings that formulas spell out ("Yes" in =IF(A1="Yes",...)) and the items of data validation lists,
    casefolded (Excel compares text without case): a cell showing one keeps it, or the formula's result
    would change."""
    formulas = [e.text or "" for e in workbook.iter(s("definedName"))]
    lists: list[str] = []
    out: set[str] = set()
    for root in sheets:
        for element in root.iter(*_FORMULAS, _XM_F):
            validation = next(element.iterancestors(s("dataValidation"), _X14_VALIDATION), None)
            is_list = validation is not None and validation.get("type") == "list"
            (lists if is_list else formulas).append(element.text or "")
        out.update(rule.get("text").casefold() for rule in root.iter(s("cfRule")) if rule.get("text"))
    for formula in formulas:
        if '"' in formula:
            out.update(m.group(1).replace('""', '"').casefold() for m in _LITERAL.finditer(formula))
    for formula in lists:  # "Yes,No" (a range reference, the other kind, holds no literal)
        for m in _LITERAL.finditer(formula):
            out.update(item.strip().casefold() for item in m.group(1).replace('""', '"').split(","))
    return out
