"""Writing an lxml.html tree back as HTML that parses to the same tree.

libxml2's own HTML writer changes attribute values: it percent-escapes URLs (`href="a b"` becomes
`href="a%20b"`) and minimizes boolean attributes, which then read back with another value. This
writer follows the HTML serialization algorithm instead: values and text as they are, escaped.
"""

from __future__ import annotations

_VOID = frozenset(
    "area base basefont bgsound br col embed frame hr img input keygen link meta param source track wbr".split()
)
# Elements whose content libxml2 reads as raw text: written as it is, never escaped.
_RAW_TEXT = frozenset("iframe noembed noframes plaintext script style xmp".split())
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\xa0": "&nbsp;"})
_ATTRIBUTE_ESCAPES = str.maketrans({"&": "&amp;", '"': "&quot;", "\xa0": "&nbsp;"})


def serialize(root, doctype: str | None) -> str:
    """The document: the doctype as the source wrote it, then the root and the comments around it."""
    out = [doctype + "\n"] if doctype else []
    for node in [*reversed(list(root.itersiblings(preceding=True))), root, *root.itersiblings()]:
        _write(node, out)
    return "".join(out)


def _write(top, out: list[str]) -> None:
    """Iterative, so that a deeply nested page is no problem."""
    todo: list = [top]  # nodes still to write, or text ready to write
    while todo:
        node = todo.pop()
        if isinstance(node, str):
            out.append(node)
        elif not isinstance(node.tag, str):  # a comment (libxml2 reads <?...> as one too)
            out.append(f"<!--{node.text or ''}-->")
        else:
            attributes = "".join(f' {name}="{value.translate(_ATTRIBUTE_ESCAPES)}"' for name, value in node.items())
            if node.tag in _VOID and node.text is None and not len(node):
                out.append(f"<{node.tag}{attributes} />")  # the slash: libxml2 knows <wbr> is void only so
                continue
            out.append(f"<{node.tag}{attributes}>")
            raw = node.tag in _RAW_TEXT
            inner = [_text(node.text, raw)]
            for child in node:
                inner += [child, _text(child.tail, raw)]
            todo.append(f"</{node.tag}>")
            todo.extend(reversed(inner))


def _text(text: str | None, raw: bool) -> str:
    return (text or "") if raw else (text or "").translate(_TEXT_ESCAPES)
