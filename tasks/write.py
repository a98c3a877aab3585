"""Outputs: documents in their own format, the segments dataset, the manifest."""

from __future__ import annotations

import posixpath
import uuid

from babelflow.documents import Block, Document, Segment, Translation
from babelflow.connectors.sinks import AtomicFile, join, write_bytes
from babelflow.filetypes import STREAMING
from babelflow.languages import tag
from babelflow.tasks.formats import module

SEGMENT_COLUMNS = {
    "doc_id": "string", "source": "string", "block_index": "int32", "segment_index": "int32",
    "src_lang": "string", "tgt_lang": "string", "source_text": "string", "translated_text": "string",
    "empty": "bool", "suspect": "string", "glossary_hits": "list<string>", "engine": "string", "model": "string",
}
MANIFEST_COLUMNS = {
    "source": "string", "doc_id": "string", "src_lang": "string", "src_lang_by": "string", "tgt_lang": "string",
    "status": "string", "error": "string", "output": "string", "n_segments": "int64", "n_chars": "int64",
    "n_empty": "int64", "n_suspect": "int64", "n_cached": "int64", "n_spans_lost": "int64",
    "n_protected_lost": "int64", "n_glossary_hits": "int64", "seconds": "double",
}


def output_url(dest: str, tgt: str, relpath: str) -> str:
    return join(dest, tag(tgt), relpath)


class DocumentSink:
    """One document in one target language: its translated parts go in, the file appears whole on
    commit (or never, on abort)."""

    def __init__(self, dest: str, relpath: str, tgt: str) -> None:
        self.url = output_url(dest, tgt, relpath)
        self.tgt = tgt
        self.file: AtomicFile | None = None
        self.writer = None
        self.data: bytes | None = None

    def add(self, part: Document, blocks: list[Block | None]) -> None:
        if part.format in STREAMING:
            if self.writer is None:
                self.file = AtomicFile(self.url)
                self.writer = module(part.format).Writer(self.file.handle, self.tgt)
            self.writer.write(part, blocks)
        else:
            self.data = module(part.format).render(part, blocks, self.tgt)

    def commit(self) -> str:
        if self.writer is not None:
            self.writer.close()
            self.file.commit()
        else:
            write_bytes(self.url, self.data)
        return self.url

    def abort(self) -> None:
        if self.file is not None:
            self.file.abort()


def arrow_schema(columns: dict[str, str]):
    import pyarrow as pa

    return pa.schema([(name, pa.list_(pa.string()) if kind == "list<string>" else pa.type_for_alias(kind))
                      for name, kind in columns.items()])


def _table(rows: dict[str, list], columns: dict[str, str]):
    import pyarrow as pa

    return pa.table(rows, schema=arrow_schema(columns))


def write_parquet(url: str, table) -> None:
    """A Parquet file that appears at `url` whole, or not at all (see AtomicFile)."""
    import pyarrow.parquet as pq

    with AtomicFile(url) as f:
        pq.write_table(table, f)


def segments_file(run: str, tag: str, number: int) -> str:
    return f"part-{run}{tag}-{number:05d}.parquet"


class SegmentsWriter:
    """Streams rows into `DEST/segments/part-<run>[-I-of-N]-NNNNN.parquet`; at close, the files of earlier
    runs (of this part, for a --part run) are removed, after the rows to keep were carried over (object
    stores have no folders to swap)."""

    def __init__(self, dest: str, engine: str, model: str, tag: str = "", rows_per_part: int = 50_000) -> None:
        self.folder = join(dest, "segments")
        self.engine, self.model = engine, model  # what translated every row of this run
        self.tag = tag  # a --part run's (`-I-of-N`): it replaces only its own part's files
        self.rows_per_part = rows_per_part
        self.run = uuid.uuid4().hex[:12]
        self.columns: dict[str, list] = {c: [] for c in SEGMENT_COLUMNS}
        self.parts = 0

    def add_document(self, doc: Document, segments: list[Segment], outputs: list[Translation],
                     suspects: list[str | None], hits: list[list[str]], tgt: str, first_segment: int = 0) -> int:
        """The document's (or part's) segments for one target, each with why its translation looks
        degenerate (or None) and the glossary terms it applied; returns how many came back empty."""
        empty_count = 0
        rows = zip(segments, outputs, suspects, hits, strict=True)
        for index, (seg, out, reason, terms) in enumerate(rows, start=first_segment):
            empty = not out.text.strip()
            empty_count += empty
            row = (doc.doc_id, doc.source, doc.first_block + seg.block, index, seg.src_lang, tgt, seg.text,
                   out.text, empty, reason, terms, self.engine, self.model)
            for values, value in zip(self.columns.values(), row, strict=True):
                values.append(value)
        if len(self.columns["doc_id"]) >= self.rows_per_part:
            self._flush()
        return empty_count

    def _write_part(self, table) -> None:
        write_parquet(join(self.folder, segments_file(self.run, self.tag, self.parts)), table)
        self.parts += 1

    def _flush(self) -> None:
        self._write_part(_table(self.columns, SEGMENT_COLUMNS))
        self.columns = {c: [] for c in SEGMENT_COLUMNS}

    def close(self, keep: set[tuple[str, str]]) -> None:
        """Finish the dataset, carrying over earlier rows of the (source, target) pairs in `keep`."""
        from fsspec.core import url_to_fs

        fs, folder = url_to_fs(self.folder)
        mine = folder.rstrip("/") + f"/part-*{self.tag}-*.parquet"
        earlier = [p for p in fs.glob(mine) if f"part-{self.run}-" not in p]
        if keep and earlier:
            self._carry_over(fs, earlier, keep)
        if self.columns["doc_id"] or self.parts == 0:
            self._flush()
        for path in earlier:
            fs.rm(path)

    def _carry_over(self, fs, paths: list[str], keep: set[tuple[str, str]]) -> None:
        """Copy the rows of the kept pairs, each pair from one earlier run only: a run killed during
        close() leaves copies beside the originals, which must not come back twice."""
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.dataset as ds

        wanted = pa.array(sorted(f"{source}\0{tgt}" for source, tgt in keep))
        runs: dict[str, list[str]] = {}
        for path in paths:
            runs.setdefault(posixpath.basename(path).split("-")[1], []).append(path)
        taken: set[str] = set()
        for run in sorted(runs):
            earlier = ds.dataset(runs[run], filesystem=fs, format="parquet", schema=arrow_schema(SEGMENT_COLUMNS))
            found: set[str] = set()
            for batch in earlier.to_batches():
                key = pc.binary_join_element_wise(batch.column("source"), batch.column("tgt_lang"), "\0")
                other_run = pc.is_in(key, value_set=pa.array(sorted(taken), pa.string()))
                mine = pc.and_(pc.is_in(key, value_set=wanted), pc.invert(other_run))
                kept = batch.filter(mine)
                if kept.num_rows:
                    found.update(pc.unique(key.filter(mine)).to_pylist())
                    self._write_part(pa.Table.from_batches([kept]))
            taken |= found


def write_manifest(url: str, rows: list[dict], columns: dict[str, str] = MANIFEST_COLUMNS) -> str:
    write_parquet(url, _table({c: [r.get(c) for r in rows] for c in columns}, columns))
    return url
