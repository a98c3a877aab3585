"""Writing direction of a Word part: what Word writes for a document in a right-to-left language.

A right-to-left paragraph is w:pPr/w:bidi, a right-to-left run w:rPr/w:rtl (the paragraph mark's
w:pPr/w:rPr too: it sizes an empty paragraph and formats the list number), a table whose columns run
right to left w:tblPr/w:bidiVisual, a section whose columns run right to left w:sectPr/w:bidi.
Alignment and indents are left as they are: Word reads w:jc `left`/`right` of a w:bidi paragraph as its
start/end, so a paragraph aligned at its start in the source stays aligned at its start (now the right
margin), and one aligned at its end moves to the left margin.

Word formats the characters of a w:rtl run with the complex-script properties (w:bCs, w:iCs, w:szCs),
not w:b, w:i, w:sz: a run that sets only the latter gets its complex-script twins, so a bold 14 pt
heading stays bold and 14 pt once it is right to left.
"""

from __future__ import annotations

import copy
from typing import Any

from babelflow.tasks.formats.docx_paragraph import w

# Schema order (CT_PPr, CT_ParaRPr, CT_TblPr, CT_SectPr) of the children that can precede or follow the ones
# set here.
_PPR_ORDER = tuple(map(w, (
    "pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
    "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
    "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid",
    "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection",
    "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange")))
_RPR_ORDER = tuple(map(w, (
    "ins", "del", "moveFrom", "moveTo",  # tracked changes of the paragraph mark, first in its w:rPr
    "rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike", "outline", "shadow",
    "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden", "color", "spacing", "w", "kern",
    "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs", "em",
    "lang", "eastAsianLayout", "specVanish", "oMath", "rPrChange")))
_TBLPR_ORDER = tuple(map(w, (
    "tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize", "tblStyleColBandSize", "tblW", "jc",
    "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook", "tblCaption",
    "tblDescription", "tblPrChange")))
_SECTPR_ORDER = tuple(map(w, (
    "headerReference", "footerReference", "footnotePr", "endnotePr", "type", "pgSz", "pgMar", "paperSrc",
    "pgBorders", "lnNumType", "pgNumType", "cols", "formProt", "vAlign", "noEndnote", "titlePg", "textDirection",
    "bidi", "rtlGutter", "docGrid", "printerSettings", "sectPrChange")))
_TWINS = {w("b"): w("bCs"), w("i"): w("iCs"), w("sz"): w("szCs")}
_P, _R, _TBL, _BODY = w("p"), w("r"), w("tbl"), w("body")
_PPR, _RPR, _TBLPR, _TBLGRID, _SECTPR = w("pPr"), w("rPr"), w("tblPr"), w("tblGrid"), w("sectPr")
_BIDI, _RTL, _BIDI_VISUAL = w("bidi"), w("rtl"), w("bidiVisual")


def set_direction(root: Any, rtl: bool) -> None:
    """Every paragraph (and its mark), run, table and section of a part takes the target's direction, so
    that the whole document reads one way: empty paragraphs and list items without text included."""
    if not rtl:
        clear_direction(root)
        return
    for p in root.iter(_P):
        ppr = _child(p, _PPR, 0)
        _set_on(ppr, _BIDI, _PPR_ORDER)
        mark = ppr.find(_RPR)
        if mark is None:
            mark = ppr.makeelement(_RPR, {})
            _place(ppr, mark, _PPR_ORDER)
        _right_to_left_run(mark)
    for run in root.iter(_R):
        _right_to_left_run(_child(run, _RPR, 0))
    for table in root.iter(_TBL):
        grid = table.find(_TBLGRID)
        _set_on(_child(table, _TBLPR, table.index(grid) if grid is not None else 0), _BIDI_VISUAL, _TBLPR_ORDER)
    for section in root.iter(_SECTPR):
        if section.getparent().tag in (_BODY, _PPR):  # not the former settings a tracked change keeps
            _set_on(section, _BIDI, _SECTPR_ORDER)


def clear_direction(root: Any) -> None:
    """Nothing in the part reads right to left any more, whether set on the element itself or, in the
    styles part, through a style or the document defaults it would inherit from."""
    for element in list(root.iter(_BIDI, _RTL, _BIDI_VISUAL)):
        element.getparent().remove(element)


def complex_script_twins(rpr: Any) -> None:
    """Give w:b, w:i and w:sz their complex-script twin where the run properties have none."""
    for latin, twin in _TWINS.items():
        source = rpr.find(latin)
        if source is not None and rpr.find(twin) is None:
            node = copy.deepcopy(source)
            node.tail = None
            node.tag = twin
            _place(rpr, node, _RPR_ORDER)


def _right_to_left_run(rpr: Any) -> None:
    _set_on(rpr, _RTL, _RPR_ORDER)
    complex_script_twins(rpr)


def _child(parent: Any, tag: str, position: int) -> Any:
    """The properties element of a paragraph, run or table, created at its place where missing."""
    found = parent.find(tag)
    if found is None:
        found = parent.makeelement(tag, {})
        parent.insert(position, found)
    return found


def _set_on(properties: Any, tag: str, order: tuple[str, ...]) -> None:
    """An on/off property, present without w:val (an explicit w:val="0" is dropped)."""
    found = properties.find(tag)
    if found is None:
        _place(properties, properties.makeelement(tag, {}), order)
    else:
        found.attrib.pop(w("val"), None)


def _place(parent: Any, element: Any, order: tuple[str, ...]) -> None:
    """Insert before the first child the schema puts after it; unknown children (extensions) come last."""
    rank = order.index(element.tag)
    later = next((c for c in parent if not isinstance(c.tag, str) or c.tag not in order or order.index(c.tag) > rank),
                 None)
    if later is None:
        parent.append(element)
    else:
        later.addprevious(element)
