"""Persistent translation cache: every finished shard is a Parquet part, so reruns and the next
scheduled run translate only what is new, and a crashed run resumes after its last finished shard."""

from __future__ import annotations

import uuid

from babelflow.documents import Shard, Translation
from babelflow.connectors.sinks import join
from babelflow.tasks.shard import Key
from babelflow.tasks.write import write_parquet

_SCHEMA = {"src": "string", "tgt": "string", "text": "string", "translation": "string"}


class TranslationCache:
    """Rows keyed by (src, tgt, text) under a folder per engine key (model, revision, settings).

    Memory stays flat however large the cache grows: only an 8-byte hash of each key is held (a
    sorted array), and the translations a group of segments needs are read back from the parts when
    the hashes say so. A hash collision costs one needless read, never a wrong translation.
    """

    def __init__(self, root: str, engine_key: str) -> None:
        import numpy as np
        from fsspec.core import url_to_fs

        self.folder = join(root, engine_key)
        self.fs, self.path = url_to_fs(self.folder)
        self.index = np.empty(0, dtype=np.int64)
        self.pending: list = []
        self.parts: list[str] = []

    def open(self) -> "TranslationCache":
        """Index what earlier runs left: the hash of every key."""
        import pyarrow.parquet as pq

        if self.fs.exists(self.path):
            self.parts = sorted(self.fs.glob(self.path.rstrip("/") + "/part-*.parquet"))
        for part in self.parts:
            with self.fs.open(part, "rb") as f:
                table = pq.read_table(f, columns=list(_SCHEMA)[:3])
            self._remember(zip(*(table.column(c).to_pylist() for c in ("src", "tgt", "text"))))
        return self

    def _remember(self, keys) -> None:
        import numpy as np

        self.pending.append(np.fromiter(map(hash, keys), dtype=np.int64))

    def _known(self, keys: list[Key]) -> list[bool]:
        import numpy as np

        if self.pending:
            self.index = np.union1d(self.index, np.concatenate(self.pending))
            self.pending = []
        hashes = np.fromiter(map(hash, keys), dtype=np.int64, count=len(keys))
        at = np.minimum(np.searchsorted(self.index, hashes), max(len(self.index) - 1, 0))
        return (self.index[at] == hashes).tolist() if len(self.index) else [False] * len(keys)

    def lookup(self, keys: set[Key]) -> dict[Key, Translation]:
        """The cached translations of `keys`; one scan of the parts, filtered on the texts."""
        import pyarrow as pa
        import pyarrow.dataset as ds

        ordered = list(keys)
        wanted = {k for k, known in zip(ordered, self._known(ordered)) if known}
        if not wanted:
            return {}
        texts = pa.array(sorted({text for _, _, text in wanted}), pa.string())
        # Parts written before scores existed have no score column: the schema reads it as null there.
        table = ds.dataset(self.parts, filesystem=self.fs, format="parquet", schema=_arrow_schema()).to_table(
            filter=ds.field("text").isin(texts))
        found: dict[Key, Translation] = {}
        columns = [table.column(c).to_pylist() for c in (*_SCHEMA, "alignment", "score")]
        for src, tgt, text, translation, alignment, score in zip(*columns):
            if (src, tgt, text) in wanted:
                found[(src, tgt, text)] = Translation(
                    translation, tuple(map(tuple, alignment)) if alignment else None, score)
        return found

    def add(self, shard: Shard, translations: list[Translation]) -> None:
        """Written atomically: a part exists whole or not at all, which marks the shard complete."""
        import pyarrow as pa
        from fsspec.core import url_to_fs

        table = pa.table({
            "src": pa.array([shard.src] * len(shard.texts), pa.string()),
            "tgt": pa.array([shard.tgt] * len(shard.texts), pa.string()),
            "text": pa.array(shard.texts, pa.string()),
            "translation": pa.array([t.text for t in translations], pa.string()),
            "alignment": _alignments(translations),
            "score": pa.array([t.score for t in translations], pa.float64()),
        })
        url = join(self.folder, f"part-{uuid.uuid4().hex}.parquet")
        write_parquet(url, table)
        self.parts.append(url_to_fs(url)[1])
        self._remember((shard.src, shard.tgt, text) for text in shard.texts)


def _arrow_schema():
    import pyarrow as pa

    return pa.schema([*((name, pa.string()) for name in _SCHEMA), ("alignment", _alignment_type()), ("score", pa.float64())])


def _alignment_type():
    import pyarrow as pa

    return pa.list_(pa.list_(pa.int32(), 4))


def _alignments(translations: list[Translation]):
    import pyarrow as pa

    if not any(t.alignment for t in translations):
        return pa.nulls(len(translations), _alignment_type())
    return pa.array([list(map(list, t.alignment)) if t.alignment else None for t in translations], _alignment_type())
