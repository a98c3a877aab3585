"""What a run tells its user: a progress bar while it runs, then a summary (returned, and published as
Prefect artifacts), checked so that every (document, target) is accounted for."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RunSummary:
    documents: int = 0
    targets: int = 0
    ok: int = 0
    error: int = 0
    skipped: int = 0
    segments: int = 0  # in the documents read (each once, whatever the number of targets)
    translations: int = 0  # segment translations written: rows added to segments/
    unique_translated: int = 0  # texts the engine translated (each once per target, however often it occurs)
    cache_hits: int = 0
    suspect: int = 0  # segments whose translation looks degenerate (see tasks/suspect.py)
    characters: int = 0
    model_seconds: float = 0.0  # loading the engine, on the worker that took longest
    model_loads: int = 0  # by workers (one per worker; 0 when this process had it loaded already)
    worker_deaths: int = 0
    seconds: float = 0.0
    manifest: str = ""
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (source, tgt, message)
    disappeared: list[str] = field(default_factory=list)  # sources of earlier runs no longer found
    pruned: bool = False
    part: str | None = None  # I/N of a --part run, whose documents are its share of `listed`
    listed: int = 0

    @property
    def exit_code(self) -> int:
        return 1 if self.error else 0

    def count(self, rows: list[dict]) -> None:
        """Take the document counts from the manifest rows; every (document, target) must have one."""
        self.ok = sum(r["status"] == "ok" for r in rows)
        self.error = sum(r["status"] == "error" for r in rows)
        self.skipped = sum(r["status"] == "skipped" for r in rows)
        self.errors = [(r["source"], r["tgt_lang"], r["error"]) for r in rows if r["status"] == "error"]
        self.characters = sum(r["n_chars"] for r in rows if r["status"] == "ok")
        self.translations = sum(r["n_segments"] for r in rows if r["status"] == "ok")
        self.suspect = sum(r["n_suspect"] for r in rows if r["status"] == "ok")
        if self.ok + self.error + self.skipped != self.documents * self.targets:
            raise RuntimeError("internal error: a document was not accounted for in the manifest")


@dataclass
class BackTranslationSummary:
    """What a back-translation run made: pairs kept and dropped (by filter), per source file accounted for."""

    documents: int = 0
    ok: int = 0
    error: int = 0
    inputs: int = 0  # rows with text to back-translate
    outputs: int = 0  # pairs kept
    dropped: dict[str, int] = field(default_factory=dict)  # per filter
    segments: int = 0
    unique_translated: int = 0
    cache_hits: int = 0
    model_seconds: float = 0.0
    model_loads: int = 0
    worker_deaths: int = 0
    seconds: float = 0.0
    dataset: str = ""
    manifest: str = ""
    language_filter: bool = True  # off when the detector does not know the synthetic sources' language
    errors: list[tuple[str, str]] = field(default_factory=list)  # (source, message)

    @property
    def exit_code(self) -> int:
        return 1 if self.error else 0

    def add(self, group: list, samples: list) -> None:
        """A group of parts and the core's Results for it (one per sample, and the round trip's)."""
        self.segments += sum(len(part.segments) for part in group)
        for results in samples:
            self.unique_translated += results.sent
            self.cache_hits += len(results.cached)
            self.model_seconds = max(self.model_seconds, results.load_seconds)
            self.model_loads += results.model_loads
            self.worker_deaths += results.worker_deaths

    def count(self, rows: list[dict]) -> None:
        """Take the counts from the manifest rows; every source must have one."""
        for row in rows:
            if row["status"] == "error":
                self.error += 1
                self.errors.append((row["source"], row["error"]))
                continue
            self.ok += 1
            self.inputs += row["n_inputs"]
            self.outputs += row["n_outputs"]
            for name in (k for k in row if k.startswith("dropped_")):
                reason = name.removeprefix("dropped_")
                self.dropped[reason] = self.dropped.get(reason, 0) + row[name]
        if self.ok + self.error != self.documents:
            raise RuntimeError("internal error: a source was not accounted for in the manifest")


def progress_bar():
    from tqdm import tqdm

    return tqdm(total=0, unit="seg", desc="translating", disable=None, leave=False)


def publish(summary: RunSummary) -> None:
    from prefect.artifacts import create_table_artifact

    table = [{
        **({"part": summary.part, "sources listed": summary.listed} if summary.part else {}),
        "documents": summary.documents, "target languages": summary.targets, "ok": summary.ok,
        "failed": summary.error, "segments": summary.segments, "unique translated": summary.unique_translated,
        "cache hits": summary.cache_hits, "suspect": summary.suspect, "characters": summary.characters,
        "seconds": summary.seconds,
    }]
    create_table_artifact(table=table, key="translation-summary", description="babelflow run summary")
    failures = [{"source": s, "target": t, "error": e} for s, t, e in summary.errors]
    if failures:
        create_table_artifact(table=failures, key="translation-failures", description="documents that failed")


def publish_back_translation(summary: BackTranslationSummary) -> None:
    from prefect.artifacts import create_table_artifact

    table = [{
        "sources": summary.documents, "ok": summary.ok, "failed": summary.error, "inputs": summary.inputs,
        "pairs kept": summary.outputs, **{f"dropped: {name}": count for name, count in summary.dropped.items()},
        "unique translated": summary.unique_translated, "cache hits": summary.cache_hits, "seconds": summary.seconds,
    }]
    create_table_artifact(table=table, key="back-translation-summary", description="babelflow back-translation")
    failures = [{"source": s, "error": e} for s, e in summary.errors]
    if failures:
        create_table_artifact(table=failures, key="back-translation-failures", description="sources that failed")
