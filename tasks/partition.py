"""--part I/N: N drivers share one destination, each with the sources whose URL hashes to its part.

Each part has files of its own under DEST (`.babelflow/state-I-of-N.parquet`, `manifest-I-of-N.parquet`,
segments files tagged `I-of-N`), so parts of one N never write the same file. A run with another
layout (no --part, or another N) first adopts what is there: a run without --part merges every part
into the whole-run files, a part run splits whole-run files (and those of another N) by part. Adoption
is idempotent (files derived from a file are named after it), so a run killed while adopting is simply
adopted again by the next run.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from dataclasses import dataclass

from babelflow.connectors.sinks import join
from babelflow.tasks.state import STATE_COLUMNS
from babelflow.tasks.write import MANIFEST_COLUMNS, arrow_schema, segments_file, write_parquet

_STATE = re.compile(r"state(?:-\d+-of-(?P<count>\d+))?\.parquet")
_MANIFEST = re.compile(r"manifest(?:-\d+-of-(?P<count>\d+))?\.parquet")
_SEGMENTS = re.compile(r"part-[0-9a-f]+-(?:\d+-of-(?P<count>\d+)-)?(?P<number>\d+)\.parquet")


def part_of(url: str, count: int) -> int:
    """The part a source belongs to: stable across machines, Python versions and runs."""
    return int.from_bytes(hashlib.sha256(url.encode("utf-8")).digest()[:8], "big") % count


@dataclass(frozen=True)
class Layout:
    """The files one run reads and writes: the whole run's (`part` None) or one part's of N."""

    dest: str
    part: tuple[int, int] | None = None

    @property
    def tag(self) -> str:
        return "" if self.part is None else f"-{self.part[0]}-of-{self.part[1]}"

    def mine(self, url: str) -> bool:
        return self.part is None or part_of(url, self.part[1]) == self.part[0]

    @property
    def state(self) -> str:
        return join(self.dest, ".babelflow", f"state{self.tag}.parquet")

    @property
    def manifest(self) -> str:
        return join(self.dest, f"manifest{self.tag}.parquet")

    def foreign(self) -> list[str]:
        """Files under DEST of another layout, which this run must adopt before it starts."""
        fs, root = _fs(self.dest)
        found = []
        for folder, pattern, rx in ((".babelflow", "state*.parquet", _STATE), ("", "manifest*.parquet", _MANIFEST),
                                    ("segments", "part-*.parquet", _SEGMENTS)):
            for path in fs.glob(posixpath.join(root, folder, pattern)):
                match = rx.fullmatch(posixpath.basename(path))
                if match and self._other(match.group("count")):
                    found.append(path)
        return sorted(found)

    def _other(self, count: str | None) -> bool:
        """Whether files of a run with `count` parts (None: without --part) are of another layout."""
        if self.part is None:
            return count is not None
        return count is None or int(count) != self.part[1]

    def adopt(self) -> None:
        """Bring files of other layouts into this one: rows split by part (or merged into the whole),
        new files written before the old ones are deleted."""
        fs, _ = _fs(self.dest)
        paths = self.foreign()
        if not paths:
            return
        states = [p for p in paths if _STATE.fullmatch(posixpath.basename(p))]
        manifests = [p for p in paths if _MANIFEST.fullmatch(posixpath.basename(p))]
        segments = [p for p in paths if _SEGMENTS.fullmatch(posixpath.basename(p))]
        if states:
            self._merge(fs, states, [(layout.state, layout) for layout in self._all()], STATE_COLUMNS,
                        newest="translated_at")
        if manifests:
            self._merge(fs, manifests, [(layout.manifest, layout) for layout in self._all()], MANIFEST_COLUMNS,
                        newest=None)
        if self.part is not None:
            for path in segments:
                self._split_segments(fs, path)
        for path in states + manifests + (segments if self.part is not None else []):
            fs.rm(path)

    def _all(self) -> list["Layout"]:
        """This layout and its siblings: every part of N, or just the whole destination."""
        if self.part is None:
            return [self]
        return [Layout(self.dest, (i, self.part[1])) for i in range(self.part[1])]

    def _merge(self, fs, paths: list[str], targets: list[tuple[str, "Layout"]], columns: dict[str, str],
               newest: str | None) -> None:
        """Rows of `paths`, with those already in the targets, rewritten into the targets by part. A row
        per (source, target language): the newest by `newest`, else the target's own, else any."""
        import pyarrow as pa

        tables = [_read(fs, p) for p in paths]
        for url, layout in targets:
            target_fs, target = _fs(url)
            own = _read(target_fs, target) if target_fs.exists(target) else None
            rows: dict[tuple[str, str], dict] = {}
            for table in [*tables, *([own] if own is not None else [])]:
                for row in table.to_pylist():
                    if not layout.mine(row["source"]):
                        continue
                    key = (row["source"], row.get("tgt_lang"))
                    old = rows.get(key)
                    if old is None or newest is None or (row[newest] or 0) >= (old[newest] or 0):
                        rows[key] = row
            kept = sorted(rows.values(), key=lambda r: (r["source"], r.get("tgt_lang") or ""))
            write_parquet(url, pa.Table.from_pylist(kept, schema=arrow_schema(columns)))

    def _split_segments(self, fs, path: str) -> None:
        """A segments file of another layout as one file per part, each named after it (so splitting it
        again overwrites them with the same rows)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        name = posixpath.basename(path)
        # The copies' run names the file they come from: splits of two files never share a name, and a copy
        # left beside its original (a run killed before removing it) is another run to SegmentsWriter.close.
        run = hashlib.sha256(name.encode()).hexdigest()[:12]
        number = int(_SEGMENTS.fullmatch(name).group("number"))
        table = _read(fs, path)
        count = self.part[1]
        parts = pa.array([part_of(url, count) for url in table.column("source").to_pylist()], pa.int64())
        for layout in self._all():
            rows = table.filter(pc.equal(parts, layout.part[0]))
            if rows.num_rows:
                write_parquet(join(self.dest, "segments", segments_file(run, layout.tag, number)), rows)


def _fs(url: str):
    from fsspec.core import url_to_fs

    return url_to_fs(url)


def _read(fs, path: str):
    import pyarrow.parquet as pq

    with fs.open(path, "rb") as f:
        return pq.read_table(f)
