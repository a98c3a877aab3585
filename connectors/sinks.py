"""Writing outputs so that a crash never leaves a file that looks complete but is not."""

from __future__ import annotations

import os
import posixpath
import uuid

from babelflow.documents import DocumentError


def join(base: str, *parts: str) -> str:
    return posixpath.join(base.rstrip("/"), *parts)


def safe_relpath(relpath: str) -> str:
    """A relative path that stays under its root, or an error for this document."""
    if any(ord(c) < 32 for c in relpath):
        raise DocumentError(f"unsafe output name {relpath!r}: control characters")
    norm = posixpath.normpath(relpath.replace("\\", "/")).lstrip("/")
    if norm in ("", ".") or norm.split("/")[0] == "..":
        raise DocumentError(f"unsafe output name {relpath!r}: escapes the destination")
    return norm


def write_bytes(url: str, data: bytes) -> None:
    """Atomic on local disks (temp file + rename); object stores commit a whole object on close."""
    from fsspec.core import url_to_fs

    fs, path = url_to_fs(url)
    if "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)):
        directory = os.path.dirname(path)
        os.makedirs(directory, exist_ok=True)
        tmp = os.path.join(directory, f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    else:
        fs.pipe_file(path, data)
