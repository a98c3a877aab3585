"""--prune: the outputs of sources that disappeared since an earlier run are deleted and forgotten."""

from __future__ import annotations

from babelflow.tasks.state import RunState


def prune(gone: dict[str, list[str]], state: RunState, written: set[str]) -> None:
    """Delete what the sources in `gone` had written, unless a source listed now wrote the same output
    (a moved folder, a bucket renamed, http that became https)."""
    from fsspec.core import url_to_fs

    for url, outputs in gone.items():
        for output in outputs:
            if output in written:
                continue
            fs, path = url_to_fs(output)
            if fs.exists(path):
                fs.rm(path)
        state.forget(url)
