"""What the Office Open XML formats (DOCX, PPTX, XLSX) share: the core properties a reader sees, and
the language tag Office writes for a target."""

from __future__ import annotations

import posixpath
import zipfile

from babelflow.documents import Block, DocumentError
from babelflow.languages import MBART50, bcp47
from babelflow.tasks.formats.docx_paragraph import xml_text
from babelflow.tasks.formats.package import read_xml, related, serialize_xml

_CORE = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_DC, _CP = "http://purl.org/dc/elements/1.1/", "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
# Core properties a reader sees; the company (docProps/app.xml) is a name and stays as it is.
_PROPERTIES = (f"{{{_DC}}}title", f"{{{_DC}}}subject", f"{{{_DC}}}description", f"{{{_CP}}}keywords")
# Office's tags for the mBART-50 codes whose suffix is not the language's region.
_TAGS = {"ar_AR": "ar-SA", "en_XX": "en-US", "es_XX": "es-ES", "fr_XX": "fr-FR", "ja_XX": "ja-JP",
         "nl_XX": "nl-NL", "pt_XX": "pt-BR", "tl_XX": "fil-PH"}

# Each kind's usual main part, and what a package with it is, to name a file of another kind in errors.
_MAIN = {"DOCX": ("word/document.xml", "a Word document"), "PPTX": ("ppt/presentation.xml", "a PowerPoint presentation"),
         "XLSX": ("xl/workbook.xml", "an Excel workbook")}

Properties = tuple[str, tuple[tuple[str, int], ...]]  # the part, and (element tag, block index) per property


def language_tag(tgt: str) -> str:
    """The tag Word and PowerPoint write for the target: a region form for mBART-50's codes (`fr-FR`),
    else the BCP-47 tag."""
    return _TAGS.get(tgt) or (tgt.replace("_", "-") if tgt in MBART50 else bcp47(tgt))


def main_part(package: zipfile.ZipFile, kind: str) -> str:
    """The part the package relates as its office document (else the usual name), which must be there."""
    default, what = _MAIN[kind]
    main = next(iter(related(package, "", ("officeDocument",))), default)
    if main not in package.NameToInfo:
        raise DocumentError(f"no {main} in the package: not {what}{other_office(package, kind)}")
    return main


def other_office(package: zipfile.ZipFile, kind: str) -> str:
    """' but an Excel workbook' for a package of another Office kind than `kind`, else ''."""
    other = next((what for k, (name, what) in _MAIN.items() if k != kind and name in package.NameToInfo), None)
    return f" but {other}" if other else ""


def read_properties(package: zipfile.ZipFile, blocks: list[Block]) -> Properties | None:
    """Title, subject, description and keywords with text become blocks (appended to `blocks`). The part
    is the one the package relates with the standard type, the only one Office reads (a package can
    relate another with a misspelt type)."""
    name = _core_part(package)
    if name is None:
        return None
    placed = []
    for element in read_xml(package, name):
        if element.tag in _PROPERTIES and (element.text or "").strip():
            placed.append((element.tag, len(blocks)))
            blocks.append(Block(element.text, []))
    return (name, tuple(placed)) if placed else None


def write_properties(package: zipfile.ZipFile, properties: Properties, blocks: list[Block | None]) -> dict[str, bytes]:
    name, placed = properties
    todo = {tag: blocks[b] for tag, b in placed if blocks[b] is not None}
    if not todo:
        return {}
    root = read_xml(package, name)
    for element in root:
        if element.tag in todo:
            element.text = xml_text(todo[element.tag].text)
    return {name: serialize_xml(root)}


def _core_part(package: zipfile.ZipFile) -> str | None:
    if "_rels/.rels" not in package.NameToInfo:
        return None
    by_lower = {name.lower(): name for name in package.NameToInfo}
    for rel in read_xml(package, "_rels/.rels").iter(_RELS):
        if rel.get("Type") == _CORE and rel.get("TargetMode") != "External":
            name = by_lower.get(posixpath.normpath(rel.get("Target", "").lstrip("/")).lower())
            if name:
                return name
    return None
