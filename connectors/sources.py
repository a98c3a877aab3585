"""Expand SOURCE arguments (files, directories, globs, URLs) into documents to read."""

from __future__ import annotations

import glob as globlib
import os
import posixpath
from dataclasses import dataclass
from typing import BinaryIO

from babelflow.filetypes import format_of


class SourceError(ValueError):
    """A SOURCE argument names nothing: a usage error, reported before any work starts."""


@dataclass(frozen=True)
class Source:
    url: str  # what open_source() takes
    relpath: str  # where its outputs go under DEST/<lang>/
    size: int
    version: str = ""  # ETag or modification time: with the size, tells a changed source
    refused: str = ""  # why it is listed but never read (a link out of its source folder)


def _is_hidden(relpath: str) -> bool:
    """Dotfiles and dot-folders (.git, .DS_Store); `..` is not hidden but refused later, loudly."""
    return any(part.startswith(".") and part not in (".", "..") for part in relpath.split("/"))


def list_sources(specs: list[str], exclude: list[str] = ()) -> list[Source]:
    """Every document the arguments name, in a stable order; `exclude` keeps DEST out of its own input.

    `@FILE` stands for the sources FILE lists, one per line (URLs or paths; `#` starts a comment).
    """
    from fsspec.core import url_to_fs

    found: dict[str, Source] = {}
    for spec in _expand(specs):
        if spec.startswith(("http://", "https://")):
            found.setdefault(spec, _web_source(spec))
            continue
        fs, path = url_to_fs(spec)
        fs.invalidate_cache()  # a long-lived process (`babelflow serve`) must see tonight's listing
        protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        prefix = "" if protocol in ("file", "local") else f"{protocol}://"
        excluded = [url_to_fs(e)[1].rstrip("/") for e in exclude]

        def add(file_path: str, root: str, info: dict) -> None:
            if any(file_path == e or file_path.startswith(e + "/") for e in excluded):
                return
            # the name as listed, not normalised: `a/../b.txt` must not quietly become `b.txt`
            rel = file_path[len(root) + 1:] if root and file_path.startswith(root + "/") else (
                posixpath.relpath(file_path, root) if root else posixpath.basename(file_path))
            if root and _is_hidden(rel):
                return
            url = prefix + file_path
            refused = ""
            if info.get("islink") and prefix == "" and root:
                refused = _leaves_root(file_path, root)
                if not refused and os.path.isdir(file_path):
                    return  # a folder linked from inside: its files are listed where they really are
                if not refused:  # the target's size and time, so that a change to it is seen
                    info = {**info, "size": os.path.getsize(file_path), "mtime": os.path.getmtime(file_path)}
            found.setdefault(url, Source(url, rel, int(info.get("size") or 0), _version(info), refused))

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
            raise SourceError(_missing(spec))
    return list(found.values())


def check_sources(specs: list[str]) -> None:
    """SourceError for a file or folder argument that is not there: a usage error, found before any
    work starts. (Globs are checked when listed; web pages fail alone, when read.)"""
    from fsspec.core import url_to_fs

    for spec in _expand(specs):
        if spec.startswith(("http://", "https://")):
            continue
        fs, path = url_to_fs(spec)
        if not globlib.has_magic(path) and not fs.exists(path):
            raise SourceError(_missing(spec))


def _missing(spec: str) -> str:
    return f"{spec}: no such file or directory"


def _leaves_root(path: str, root: str) -> str:
    """Why a symbolic link in a source folder is not followed: it points out of that folder (a link to
    /etc/passwd would otherwise be translated into DEST)."""
    target, folder = os.path.realpath(path), os.path.realpath(root)
    if target == folder or target.startswith(folder.rstrip(os.sep) + os.sep):
        return ""
    return f"a symbolic link to {target}, outside the source folder {root}: not followed"


def _expand(specs: list[str]) -> list[str]:
    import fsspec

    out: list[str] = []
    for spec in specs:
        if not spec.startswith("@"):
            out.append(spec)
            continue
        try:
            with fsspec.open(spec[1:], "rt", encoding="utf-8") as f:
                lines = [line.split("#", 1)[0].strip() for line in f]
        except (OSError, UnicodeDecodeError) as exc:
            raise SourceError(f"{spec}: cannot read the list of sources ({exc})") from exc
        out += [line for line in lines if line]
    return out


def _web_source(url: str) -> Source:
    """One page or file over HTTP: its output path is host/path, `.html` for pages without a name."""
    from urllib.parse import unquote, urlsplit

    from fsspec.core import url_to_fs

    fs, _ = url_to_fs(url)
    try:
        info = fs.info(url)
    except (OSError, ValueError):
        info = {}  # a dead link fails alone, when it is read: an error row, not a stopped run
    parts = urlsplit(url)
    path = unquote(parts.path)
    if path.endswith("/") or not path:
        path += "index.html"
    elif format_of(path) is None and "html" in str(info.get("mimetype", "")):
        path += ".html"
    return Source(url, parts.netloc.replace(":", "_") + path, int(info.get("size") or 0), _version(info))


def _version(info: dict) -> str:
    for key in ("ETag", "etag", "mtime", "LastModified", "Last-Modified", "last_modified", "updated", "created"):
        if info.get(key) is not None:
            return str(info[key]).strip('"')
    return ""


def open_source(url: str) -> BinaryIO:
    """A seekable binary file; the caller closes it."""
    import fsspec

    return fsspec.open(url, "rb").open()


def use_storage_options(storage: dict[str, dict]) -> None:
    """Options per protocol from the run config (`s3: {endpoint_url: ...}`), as fsspec defaults."""
    import fsspec.config

    from babelflow.connectors.redact import register

    for protocol, options in storage.items():
        fsspec.config.conf.setdefault(protocol, {}).update(options)
        for value in options.values():
            register(value)
