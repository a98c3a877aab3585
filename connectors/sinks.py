"""Writing outputs so that a crash never leaves a file that looks complete but is not."""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
import tempfile
import time
import uuid
from typing import Iterator, Protocol

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


class Layout(Protocol):
    """The files a run owns under DEST (babelflow.tasks.partition.Layout): the whole destination's, or
    one --part's."""

    part: tuple[int, int] | None

    def foreign(self) -> list[str]: ...

    def adopt(self) -> None: ...


@contextlib.contextmanager
def destination_lock(dest: str, layout: Layout | None = None) -> Iterator[None]:
    """Runs that would overwrite each other's state and segments never write to a local DEST at once:
    a run without --part holds it alone, parts of one N share it (each part alone). Whoever holds it
    alone first removes the temporary files killed runs left (not inside another destination nested in
    this one: it has a lock of its own) and adopts files of another layout. Locks die with their
    process, so a killed run never blocks the next."""
    from fsspec.core import url_to_fs

    fs, path = url_to_fs(dest)
    if not is_local(fs):
        if layout is not None:
            _adopt_unlocked(layout, dest)
        yield
        return
    import fcntl

    folder = os.path.join(path, ".babelflow")
    os.makedirs(folder, exist_ok=True)
    busy = f"another babelflow run is writing to {dest}; wait for it to finish"
    with open(os.path.join(folder, "lock"), "w") as lock, open(os.path.join(folder, "lock-whole"), "w") as whole:
        if layout is None or layout.part is None:
            _lock(whole, fcntl.LOCK_EX, busy, dest)  # says to parts that wait: this is no part preparing DEST
            _lock(lock, fcntl.LOCK_EX, busy, dest)
            _prepare(path, layout)
            yield
            return
        index, count = layout.part
        with open(os.path.join(folder, f"lock-{index}-of-{count}"), "w") as own, \
                open(os.path.join(folder, f"lock-of-{count}"), "w") as same_count:
            _lock(own, fcntl.LOCK_EX, f"another run with --part {index}/{count} is writing to {dest}", dest)
            _lock(same_count, fcntl.LOCK_SH, f"runs with another part count are starting on {dest}", dest)
            _refuse_other_counts(folder, count, dest)
            _share(lock, whole, path, layout, dest)
            yield


def _lock(handle, kind: int, busy: str, dest: str) -> None:
    import errno
    import fcntl

    try:
        fcntl.flock(handle, kind | fcntl.LOCK_NB)
    except BlockingIOError:
        raise DestinationBusy(busy) from None
    except OSError as exc:
        if exc.errno in (errno.ENOLCK, errno.ENOSYS, errno.EOPNOTSUPP):
            raise DestinationBusy(f"cannot lock {dest}: {exc.strerror}; its file system has no working file locks"
                                  " (NFS mounted with nolock or local_lock?), which runs side by side need") from None
        raise


def _prepare(path: str, layout: Layout | None) -> None:
    """Under the exclusive lock: no killed run's temporary file left, no file of another layout."""
    for folder, subfolders, files in os.walk(path):
        if folder != path and os.path.exists(os.path.join(folder, ".babelflow", "lock")):
            subfolders.clear()
            continue
        for name in files:
            if _TEMPORARY.fullmatch(name):
                os.unlink(os.path.join(folder, name))
    if layout is not None:
        layout.adopt()


def _refuse_other_counts(folder: str, count: int, dest: str) -> None:
    """Parts of another N would write the same sources: every driver of a destination uses one N."""
    import fcntl

    for name in os.listdir(folder):
        match = re.fullmatch(r"lock-of-(\d+)", name)
        if match and int(match.group(1)) != count:
            with open(os.path.join(folder, name), "w") as other:
                _lock(other, fcntl.LOCK_EX, f"runs with --part I/{match.group(1)} are writing to {dest}; every"
                      f" driver of one destination must use the same part count (not {count})", dest)
                fcntl.flock(other, fcntl.LOCK_UN)


def _share(lock, whole, path: str, layout: Layout, dest: str) -> None:
    """Join the other parts of this N. The first part to arrive holds DEST alone while it prepares it,
    and the others wait for it; none waits for a run without --part."""
    import fcntl

    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pass
        else:
            _prepare(path, layout)
            _lock(lock, fcntl.LOCK_SH, f"a babelflow run without --part took {dest}; wait for it to finish", dest)
            return
        try:
            fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:  # held alone: by a run without --part, or by a part preparing DEST
            _lock(whole, fcntl.LOCK_SH, f"a babelflow run without --part is writing to {dest}; wait for it to"
                  " finish", dest)
            fcntl.flock(whole, fcntl.LOCK_UN)
            time.sleep(0.2)
            continue
        foreign = layout.foreign()
        if foreign:
            raise DestinationBusy(f"{dest} has files of another layout ({foreign[0]}, ...) while runs with --part"
                                  " are writing to it; run again when they finish")
        return


ADOPTION_WAIT = 900  # seconds a part waits on an object store for part 0 to adopt what is there


def _adopt_unlocked(layout: Layout, dest: str) -> None:
    """Object stores have no locks: a run without --part, or part 0, adopts what is there; the other
    parts wait until it has."""
    if layout.part is None or layout.part[0] == 0:
        layout.adopt()
        return
    deadline = time.monotonic() + ADOPTION_WAIT
    while layout.foreign():
        if time.monotonic() > deadline:
            raise DestinationBusy(f"{dest} has files of another layout, which part 0/{layout.part[1]} adopts on an"
                                  " object store: run --part 0 first (or alone)")
        time.sleep(2)


def write_bytes(url: str, data: bytes) -> None:
    with AtomicFile(url) as f:
        f.write(data)
