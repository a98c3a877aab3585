"""Persistent translation cache: every finished shard is a Parquet part, so reruns and the next
scheduled run translate only what is new, and a crashed run resumes after its last finished shard."""

from __future__ import annotations

import io
import uuid

from babelflow.documents import Shard, Translation
from connectors.sinks import join, write_bytes
from tasks.shard import Key

_SCHEMA = {"src": "string", "tgt": "string", "text": "string", "translation": "string"}


class TranslationCache:
    """Rows keyed by (src, tgt, text) under a folder per engine key (model, revision, settings)."""

    def __init__(self, root: str, engine_key: str) -> None:
        self.folder = join(root, engine_key)

    def load(self) -> dict[Key, Translation]:
        import pyarrow.parquet as pq
        from fsspec.core import url_to_fs

        fs, path = url_to_fs(self.folder)
        found: dict[Key, Translation] = {}
        if not fs.exists(path):
            return found
        for part in sorted(fs.glob(path.rstrip("/") + "/part-*.parquet")):
            with fs.open(part, "rb") as f:
                table = pq.read_table(f)
            alignments = table.column("alignment").to_pylist()
            for src, tgt, text, translation, alignment in zip(
                *(table.column(c).to_pylist() for c in _SCHEMA), alignments
            ):
                found[(src, tgt, text)] = Translation(translation, tuple(map(tuple, alignment)) if alignment else None)
        return found

    def add(self, shard: Shard, translations: list[Translation]) -> None:
        """Written atomically: a part exists whole or not at all, which marks the shard complete."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({
            "src": pa.array([shard.src] * len(shard.texts), pa.string()),
            "tgt": pa.array([shard.tgt] * len(shard.texts), pa.string()),
            "text": pa.array(shard.texts, pa.string()),
            "translation": pa.array([t.text for t in translations], pa.string()),
            "alignment": _alignments(translations),
        })
        out = io.BytesIO()
        pq.write_table(table, out)
        write_bytes(join(self.folder, f"part-{uuid.uuid4().hex}.parquet"), out.getvalue())


def _alignments(translations: list[Translation]):
    import pyarrow as pa

    kind = pa.list_(pa.list_(pa.int32(), 4))
    if not any(t.alignment for t in translations):
        return pa.nulls(len(translations), kind)
    return pa.array([list(map(list, t.alignment)) if t.alignment else None for t in translations], kind)
