"""Zip packages of XML parts (Office Open XML, OpenDocument, EPUB), read safely and written back with
every member that was not changed as it was: the same names, order, compression and content.

Refused before anything is decompressed: zip bombs (a member expanding over 1000x, or a package over
1 GiB), member names that climb out of the package (`../`, absolute paths); and in XML parts, DTDs
(a billion-laughs entity needs one; only EPUB's documents may name an external one) and external entities.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from typing import Any
from urllib.parse import unquote

from babelflow.documents import DocumentError

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
# The attribute by which a part names a relationship of its own (a slide, a sheet, a chart).
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_MAX_UNPACKED = 1 << 30  # XML and media of the largest real documents stay far below this
_MAX_RATIO = 1000  # XML compresses up to ~100x; a bomb's zeros compress ~1000x


def open_package(data: bytes, kind: str) -> zipfile.ZipFile:
    """The package, checked; `kind` (DOCX, PPTX...) names it in errors."""
    if data.startswith(_OLE2):
        raise DocumentError(f"an OLE2 compound file (a legacy .doc, .ppt or .xls, or a password-protected file), "
                            f"not a {kind} package")
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        _check_members(package, kind)
        broken = package.testzip()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, NotImplementedError,
            RuntimeError, ValueError) as exc:
        raise DocumentError(f"not a readable {kind} package (zip): {exc}") from exc
    if broken is not None:
        raise DocumentError(f"corrupt {kind} package: zip member {broken} fails its CRC check")
    return package


def _check_members(package: zipfile.ZipFile, kind: str) -> None:
    """A member never yields more than its declared size, so the declared sizes are what to check."""
    infos = package.infolist()
    total = sum(i.file_size for i in infos)
    if total > _MAX_UNPACKED:
        raise DocumentError(f"the {kind} package would unpack to {total:,} bytes, over the {_MAX_UNPACKED:,} limit")
    for info in infos:
        if info.file_size > (1 << 20) and info.file_size > _MAX_RATIO * max(info.compress_size, 1):
            raise DocumentError(f"zip member {info.filename} expands {info.file_size // max(info.compress_size, 1)}x"
                                " (a zip bomb?)")
        if info.filename.startswith(("/", "\\")) or ".." in info.filename.replace("\\", "/").split("/"):
            raise DocumentError(f"unsafe zip member name {info.filename!r}")


def relationships(package: zipfile.ZipFile, source: str) -> list[tuple[str, str, str]]:
    """(id, type's last segment, part name) of the Office Open XML relationships of `source` ('' for the
    package) whose target is a part of the package, in order."""
    folder, base = posixpath.split(source)
    rels = posixpath.join(folder, "_rels", f"{base}.rels")
    if rels not in package.NameToInfo:
        return []
    by_lower = {name.lower(): name for name in package.NameToInfo}
    found = []
    for rel in read_xml(package, rels).iter(_RELS):
        if rel.get("TargetMode") == "External":
            continue
        target = unquote(rel.get("Target", ""))
        path = posixpath.normpath(target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target))
        if name := by_lower.get(path.lower()):
            found.append((rel.get("Id", ""), rel.get("Type", "").rsplit("/", 1)[-1], name))
    return found


def related(package: zipfile.ZipFile, source: str, kinds: tuple[str, ...]) -> list[str]:
    """Parts that `source` relates to with one of these relationship types, in order, each once."""
    return list(dict.fromkeys(name for _, kind, name in relationships(package, source) if kind in kinds))


def read_xml(package: zipfile.ZipFile, name: str, doctype: bool = False) -> Any:
    """A part's root element (lxml); see parse_xml."""
    return parse_xml(package.read(name), name, doctype)


def parse_xml(data: bytes, name: str, doctype: bool = False) -> Any:
    """The root element of part `name` (lxml); external entities are never resolved. A DTD is refused,
    except with `doctype` the declaration of an external one (EPUB 2 documents name XHTML 1.1's and the
    NCX's), never loaded: an internal subset, where entities would be declared, is refused all the same."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise DocumentError(f"{name}: XML does not parse: {exc}") from exc
    info = root.getroottree().docinfo
    if info.doctype and not (doctype and _no_declarations(info.internalDTD)):
        raise DocumentError(f"{name}: has a DTD, which this format does not allow")
    return root


def _no_declarations(dtd: Any) -> bool:
    return dtd is None or not (any(True for _ in dtd.iterelements()) or any(True for _ in dtd.iterentities()))


def serialize_xml(root: Any) -> bytes:
    from lxml import etree

    tree = root.getroottree()
    # lxml reports standalone="no" for a part that declared nothing; "no" is what a missing one means anyway.
    standalone = True if tree.docinfo.standalone else None
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=standalone)


def repackage(package: zipfile.ZipFile, changed: dict[str, bytes]) -> bytes:
    """The package with `changed` members replaced; every member keeps its place, name, date and
    compression (an EPUB's stored `mimetype` stays first and stored)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in package.infolist():
            copy = zipfile.ZipInfo(info.filename, info.date_time)
            copy.compress_type = info.compress_type
            copy.external_attr = info.external_attr
            copy.create_system = info.create_system
            copy.comment = info.comment
            z.writestr(copy, changed[info.filename] if info.filename in changed else package.read(info.filename))
        z.comment = package.comment
    return out.getvalue()
