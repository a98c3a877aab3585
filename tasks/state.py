"""What earlier runs translated, so a scheduled run does only what is new or changed.

`DEST/.babelflow/state.parquet` (`state-I-of-N.parquet` for a --part run) has a row per (source,
target language): the source's size and version (ETag or modification time) and the engine key when
its output was written.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from babelflow.connectors.sources import Source
from babelflow.tasks.write import arrow_schema, write_parquet

STATE_COLUMNS = {"source": "string", "tgt_lang": "string", "size": "int64", "version": "string",
                 "engine_key": "string", "output": "string", "translated_at": "double"}


@dataclass(frozen=True)
class Done:
    size: int
    version: str
    engine_key: str
    output: str
    translated_at: float


class RunState:
    def __init__(self, url: str) -> None:
        self.url = url
        self.done: dict[tuple[str, str], Done] = {}

    def load(self) -> "RunState":
        import pyarrow.parquet as pq
        from fsspec.core import url_to_fs

        fs, path = url_to_fs(self.url)
        if fs.exists(path):
            with fs.open(path, "rb") as f:
                for r in pq.read_table(f).to_pylist():
                    self.done[(r["source"], r["tgt_lang"])] = Done(
                        r["size"], r["version"], r["engine_key"], r["output"], r["translated_at"])
        return self

    def unchanged(self, source: Source, tgt: str, engine_key: str) -> Done | None:
        """The earlier output, when neither the source nor the engine changed since."""
        done = self.done.get((source.url, tgt))
        if done and (done.size, done.version, done.engine_key) == (source.size, source.version, engine_key):
            return done
        return None

    def disappeared(self, sources: list[Source]) -> dict[str, list[str]]:
        """Sources of earlier runs no longer listed, with their outputs."""
        listed = {s.url for s in sources}
        gone: dict[str, list[str]] = {}
        for (url, _), done in sorted(self.done.items()):
            if url not in listed:
                gone.setdefault(url, []).append(done.output)
        return gone

    def update(self, rows: list[dict], sources: list[Source], engine_key: str) -> None:
        """From a run's manifest rows: what it wrote counts as translated; what failed no longer does
        (its earlier output and segments no longer stand for it)."""
        by_url = {s.url: s for s in sources}
        for row in rows:
            if row["status"] == "ok":
                source = by_url[row["source"]]
                self.done[(source.url, row["tgt_lang"])] = Done(
                    source.size, source.version, engine_key, row["output"], time.time())
            elif row["status"] == "error":
                self.forget(row["source"], row["tgt_lang"])

    def forget(self, url: str, tgt: str | None = None) -> None:
        """No longer counts as translated: into `tgt`, or into any language."""
        self.done = {k: v for k, v in self.done.items() if k[0] != url or (tgt is not None and k[1] != tgt)}

    def save(self) -> None:
        import pyarrow as pa

        rows = [{"source": url, "tgt_lang": tgt, **vars(done)} for (url, tgt), done in sorted(self.done.items())]
        write_parquet(self.url, pa.Table.from_pylist(rows, schema=arrow_schema(STATE_COLUMNS)))
