"""The back-translation dataset: DEST/data/ (kept pairs) and DEST/rejected/ (dropped ones, with why),
one Parquet file per corpus part, named after its source and part number. A rerun writes the same
files whole (atomically) and then removes any its run did not write, so a killed run, rerun, leaves
exactly the dataset an uninterrupted run would have: no row missing, none twice."""

from __future__ import annotations

import hashlib
import re

from babelflow.config import BackTranslateConfig
from babelflow.connectors.redact import redact
from babelflow.connectors.sinks import join
from babelflow.documents import DocumentError, describe
from babelflow.tasks.bitext_filters import REASONS, reason_name
from babelflow.tasks.formats import module
from babelflow.tasks.parts import Part
from babelflow.tasks.synthetic import Pair
from babelflow.tasks.write import write_parquet

MANIFEST_COLUMNS = {
    "source": "string", "status": "string", "error": "string", "from_lang": "string", "to_lang": "string",
    "method": "string", "n_rows": "int64", "n_inputs": "int64", "n_segments": "int64", "n_outputs": "int64",
    **{f"dropped_{r}": "int64" for r in REASONS}, "seconds": "double",
}
COLUMNS = ("id", "target", "synthetic_source", "method", "sample_index", "score", "round_trip", "src_lang",
           "tgt_lang", "n_segments", "source_file")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def part_tables(part: Part, pairs: list[Pair], config: BackTranslateConfig):
    """(kept, rejected) Arrow tables of one part's pairs; the corpus's own columns carried through."""
    records = _records(part, config)
    kept = [p for p in pairs if p.reason is None]
    dropped = [p for p in pairs if p.reason is not None]
    return _table(part, kept, records, config), _table(part, dropped, records, config, rejected=True)


def _records(part: Part, config: BackTranslateConfig):
    """The part's corpus columns (None for a document), checked against the output's own."""
    reader = module(part.doc.format)
    if not hasattr(reader, "records"):
        return None
    records = reader.records(part.doc)
    clash = sorted(set(records.column_names) & {*COLUMNS, "reason"} - {config.id_column, config.text_column})
    if clash:
        raise DocumentError(f"column {clash[0]!r} has the name of a column the dataset adds; rename it")
    return records


def _table(part: Part, pairs: list[Pair], records, config: BackTranslateConfig, rejected: bool = False):
    import pyarrow as pa

    rows = pa.array([p.block for p in pairs], pa.int64())
    if records is not None and config.id_column in records.column_names:
        ids = [None if v is None else str(v) for v in records.column(config.id_column).take(rows).to_pylist()]
    else:
        ids = [str(part.doc.first_block + p.block) for p in pairs]
    counts: dict[int, int] = {}
    for s in part.segments:
        counts[s.block] = counts.get(s.block, 0) + 1
    tag = f"{config.tag} " if config.tag else ""
    columns = {
        "id": pa.array(ids, pa.string()),
        "target": pa.array([p.target for p in pairs], pa.string()),
        "synthetic_source": pa.array([tag + p.synthetic if p.segments else None for p in pairs], pa.string()),
        "method": pa.array([config.method] * len(pairs), pa.string()),
        "sample_index": pa.array([p.sample_index for p in pairs], pa.int32()),
        "score": pa.array([p.score for p in pairs], pa.float64()),
        "src_lang": pa.array([config.to] * len(pairs), pa.string()),
        "tgt_lang": pa.array([config.src_lang] * len(pairs), pa.string()),
        "n_segments": pa.array([counts[p.block] for p in pairs], pa.int32()),
        "source_file": pa.array([part.source.relpath] * len(pairs), pa.string()),
    }
    if config.round_trip:
        columns["round_trip"] = pa.array([p.round_trip for p in pairs], pa.string())
    if rejected:
        columns["reason"] = pa.array([p.reason for p in pairs], pa.string())
    table = pa.table({c: columns[c] for c in (*COLUMNS, "reason") if c in columns})
    if records is not None:
        carried = records.take(rows)
        for name in carried.column_names:
            if name not in (config.id_column, config.text_column):
                table = table.append_column(carried.schema.field(name), carried.column(name))
    return table


class BitextWriter:
    """The dataset's files and a manifest row per source, part by part."""

    def __init__(self, config: BackTranslateConfig) -> None:
        self.config = config
        self.dest = config.out
        self.keep_rejected = config.keep_rejected
        self.written: dict[str, list[str]] = {}  # per source URL, the files this run wrote
        self.rows: dict[str, dict] = {}  # per source URL, its manifest row
        self.parts: dict[str, int] = {}  # per source URL, its parts written

    def add(self, part: Part, pairs: list[Pair], seconds: float) -> None:
        """The part's pairs into the dataset, its counts into its source's manifest row. A source that
        fails (reading it, or its columns) has none of its rows in the dataset, and its row says why."""
        config, url = self.config, part.source.url
        row = self.rows.setdefault(url, dict(
            source=url, status="ok", error=None, from_lang=config.src_lang, to_lang=config.to,
            method=config.method, n_rows=0, n_inputs=0, n_segments=0, n_outputs=0, seconds=0.0,
            **{f"dropped_{r}": 0 for r in REASONS},
        ))
        row["seconds"] += seconds
        if row["status"] == "error":
            return
        error = part.error
        if error is None:
            try:
                kept, rejected = part_tables(part, pairs, config)
                self.write(part, self.parts.get(url, 0), kept, rejected)
            except Exception as exc:  # one document's bad columns or an unwritable file: its row says so
                error = redact(describe(exc))
        if error is not None:
            self.discard(url)
            row.update({k: 0 for k in row if k.startswith(("n_", "dropped_"))}, status="error", error=error)
            return
        self.parts[url] = self.parts.get(url, 0) + 1
        row["n_rows"] += len(part.doc.blocks)
        row["n_inputs"] += len({s.block for s in part.segments})
        row["n_segments"] += len(part.segments)
        row["n_outputs"] += kept.num_rows
        for p in pairs:
            if p.reason is not None:
                row[f"dropped_{reason_name(p.reason)}"] += 1

    def write(self, part: Part, number: int, kept, rejected) -> None:
        name = f"{_stem(part.source.url, part.source.relpath)}-{number:05d}.parquet"
        self._write(part.source.url, join(self.dest, "data", name), kept)
        if self.keep_rejected:
            self._write(part.source.url, join(self.dest, "rejected", name), rejected)

    def _write(self, source: str, url: str, table) -> None:
        if table.num_rows == 0:
            return
        write_parquet(url, table)
        self.written.setdefault(source, []).append(url)

    def discard(self, source: str) -> None:
        """A source that failed after some of its parts were written has none of them in the dataset."""
        from fsspec.core import url_to_fs

        for url in self.written.pop(source, []):
            fs, path = url_to_fs(url)
            fs.rm(path)

    def close(self) -> list[dict]:
        """Remove the files of earlier runs that this one did not write (other sources, other settings);
        the manifest rows."""
        from fsspec.core import url_to_fs

        for folder in ("data", "rejected"):
            fs, path = url_to_fs(join(self.dest, folder))
            mine = {url_to_fs(u)[1] for urls in self.written.values() for u in urls}
            for old in fs.glob(path.rstrip("/") + "/*.parquet") if fs.exists(path) else []:
                if old not in mine:
                    fs.rm(old)
        return list(self.rows.values())


def _stem(url: str, relpath: str) -> str:
    """A file name per source: readable, and unique even when two sources' names are alike."""
    return f"{_UNSAFE.sub('_', relpath).strip('_')[:80]}-{hashlib.sha256(url.encode()).hexdigest()[:8]}"
