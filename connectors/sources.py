"""Expand SOURCE arguments (files, directories, globs, URLs) into documents to read."""

from __future__ import annotations

import glob as globlib
import posixpath
from dataclasses import dataclass
from typing import BinaryIO


class SourceError(ValueError):
    """A SOURCE argument names nothing: a usage error, reported before any work starts."""


@dataclass(frozen=True)
class Source:
    url: str  # what open_source() takes
    relpath: str  # where its outputs go under DEST/<lang>/
    size: int
    version: str = ""  # ETag or modification time: with the size, tells a changed source


def _is_hidden(relpath: str) -> bool:
    return any(part.startswith(".") for part in relpath.split("/"))


def list_sources(specs: list[str], exclude: list[str] = ()) -> list[Source]:
    """Every document the arguments name, in a stable order; `exclude` keeps DEST out of its own input."""
    from fsspec.core import url_to_fs

    found: dict[str, Source] = {}
    for spec in specs:
        fs, path = url_to_fs(spec)
        protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        prefix = "" if protocol in ("file", "local") else f"{protocol}://"
        excluded = [url_to_fs(e)[1].rstrip("/") for e in exclude]

        def add(file_path: str, root: str, info: dict) -> None:
            if any(file_path == e or file_path.startswith(e + "/") for e in excluded):
                return
            rel = posixpath.relpath(file_path, root) if root else posixpath.basename(file_path)
            if root and _is_hidden(rel):
                return
            url = prefix + file_path
            found.setdefault(url, Source(url, rel, int(info.get("size") or 0), _version(info)))

        if globlib.has_magic(path):
            root = path[: min(path.index(c) for c in "*?[" if c in path)]
            root = root.rsplit("/", 1)[0] if "/" in root else ""
            matches = fs.glob(path, detail=True)
            for file_path, info in sorted(matches.items()):
                if info.get("type") == "file":
                    add(file_path, root, info)
            if not matches:
                raise SourceError(f"{spec}: no files match")
        elif fs.isdir(path):
            files = fs.find(path, detail=True)
            for file_path, info in sorted(files.items()):
                add(file_path, path.rstrip("/"), info)
        elif fs.exists(path):
            add(path, "", fs.info(path))
        else:
            raise SourceError(f"{spec}: no such file or directory")
    return list(found.values())


def _version(info: dict) -> str:
    for key in ("ETag", "etag", "mtime", "LastModified", "last_modified", "updated", "created"):
        if info.get(key) is not None:
            return str(info[key]).strip('"')
    return ""


def open_source(url: str) -> BinaryIO:
    """A seekable binary file; the caller closes it."""
    import fsspec

    return fsspec.open(url, "rb").open()
