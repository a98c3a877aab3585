"""Writing outputs so that a crash never leaves a file that looks complete but is not."""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
import tempfile
import uuid
from typing import Iterator

from babelflow.documents import DocumentError


def join(base: str, *parts: str) -> str:
    return posixpath.join(base.rstrip("/"), *parts)


def safe_relpath(relpath: str) -> str:
    """`relpath` itself if it names a file under its root, else an error for this document: names come
    from listings nobody checked (`../../etc/passwd` is a valid object key) and must never write
    outside DEST. Nothing is rewritten, so two sources can never be mapped onto one output."""
    if any(ord(c) < 32 or c == "\x7f" for c in relpath):
        raise DocumentError(f"unsafe output name {relpath!r}: control characters")
    if relpath.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", relpath):
        raise DocumentError(f"unsafe output name {relpath!r}: an absolute path")
    if any(part in ("", ".", "..") for part in re.split(r"[/\\]", relpath)):
        raise DocumentError(f"unsafe output name {relpath!r}: empty, '.' or '..' path components")
    return relpath


def is_local(fs) -> bool:
    """Whether an fsspec filesystem is this machine's disk (renames are atomic, locks exist)."""
    protocols = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    return "file" in protocols or "local" in protocols


class AtomicFile:
    """A file that appears at `url` whole, on commit, or not at all.

    Local disks: a temporary name beside the target, then rename. Other stores: a local temporary
    file, uploaded on commit (object stores make an object visible only once it is complete).
    """

    def __init__(self, url: str) -> None:
        from fsspec.core import url_to_fs

        self.fs, self.path = url_to_fs(url)
        self.local = is_local(self.fs)
        if self.local:
            directory = os.path.dirname(self.path)
            os.makedirs(directory, exist_ok=True)
            self.tmp = os.path.join(directory, f".{os.path.basename(self.path)}.{uuid.uuid4().hex}.tmp")
        else:
            fd, self.tmp = tempfile.mkstemp(prefix="babelflow-", suffix=".tmp")
            os.close(fd)
        self.handle = open(self.tmp, "wb")

    def commit(self) -> None:
        self.handle.close()
        try:
            if self.local:
                os.replace(self.tmp, self.path)
            else:
                self.fs.put_file(self.tmp, self.path)
        finally:
            if os.path.exists(self.tmp):
                os.unlink(self.tmp)

    def abort(self) -> None:
        self.handle.close()
        if os.path.exists(self.tmp):
            os.unlink(self.tmp)

    def __enter__(self):
        return self.handle

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.commit()
        else:
            self.abort()


class DestinationBusy(RuntimeError):
    """Another run holds the destination."""


_TEMPORARY = re.compile(r"\..+\.[0-9a-f]{32}\.tmp")  # AtomicFile's names beside their targets


@contextlib.contextmanager
def destination_lock(dest: str) -> Iterator[None]:
    """One run at a time writes to a local DEST (two would overwrite each other's state and segments);
    once the lock is held, temporary files that killed runs left behind are removed (not inside another
    destination nested in this one: it has a lock of its own). The lock dies with its process, so a
    killed run never blocks the next. Object stores have no such lock."""
    from fsspec.core import url_to_fs

    fs, path = url_to_fs(dest)
    if not is_local(fs):
        yield
        return
    import fcntl

    os.makedirs(os.path.join(path, ".babelflow"), exist_ok=True)
    with open(os.path.join(path, ".babelflow", "lock"), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DestinationBusy(f"another babelflow run is writing to {dest}; wait for it to finish") from None
        for folder, subfolders, files in os.walk(path):
            if folder != path and os.path.exists(os.path.join(folder, ".babelflow", "lock")):
                subfolders.clear()
                continue
            for name in files:
                if _TEMPORARY.fullmatch(name):
                    os.unlink(os.path.join(folder, name))
        yield


def write_bytes(url: str, data: bytes) -> None:
    with AtomicFile(url) as f:
        f.write(data)
