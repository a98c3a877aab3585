"""The translate flow: list, parse, segment, shard, translate on workers, reassemble, write, report."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.futures import as_completed
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

from babelflow.config import RunConfig
from babelflow.documents import Document, DocumentError, Segment, Translation
from connectors.sinks import join
from connectors.sources import list_sources
from tasks.cache import TranslationCache
from tasks.engines import EngineSpec, prepare_engine
from tasks.formats import FormatOptions
from tasks.parse import parse_document
from tasks.project import exact_alignment
from tasks.reassemble import reassemble
from tasks.segment import segment_document
from tasks.shard import Key, make_shards
from tasks.translate import init_worker, translate_shard_task
from tasks.write import SegmentsWriter, write_document, write_manifest


@dataclass
class _Parsed:
    doc: Document
    segments: list[Segment]
    seconds: float


@dataclass
class RunSummary:
    documents: int = 0
    targets: int = 0
    ok: int = 0
    error: int = 0
    segments: int = 0
    unique_translated: int = 0
    cache_hits: int = 0
    characters: int = 0
    seconds: float = 0.0
    manifest: str = ""
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (source, tgt, message)

    @property
    def exit_code(self) -> int:
        return 1 if self.error else 0


def engine_spec(config: RunConfig) -> EngineSpec:
    return EngineSpec(config.engine, config.model, config.beams, config.max_batch_tokens, config.device)


def cache_root(config: RunConfig) -> str:
    return config.cache or join(config.out, ".babelflow", "cache")


@flow(name="translate_documents")
def translate_documents(config: RunConfig) -> RunSummary:
    logger = get_run_logger()
    started = time.perf_counter()
    spec = engine_spec(config)
    cache = TranslationCache(cache_root(config), prepare_engine(spec))

    sources = list_sources(config.sources, exclude=[config.out])
    parsed, failed = _parse_all(sources, config)
    logger.info("%d documents parsed, %d unreadable", len(parsed), len(failed))

    translated = cache.load()
    cached = set(translated)
    shards = make_shards((s for p in parsed for s in p.segments), config.to, config.shard_tokens, translated)
    t0 = time.perf_counter()
    shard_errors = _translate_all(spec, shards, cache, translated)
    translate_seconds = time.perf_counter() - t0

    rows = _write_all(config, spec, parsed, failed, translated, cached, shard_errors, translate_seconds)
    summary = RunSummary(
        documents=len(sources), targets=len(config.to), manifest=write_manifest(config.out, rows),
        ok=sum(r["status"] == "ok" for r in rows), error=sum(r["status"] == "error" for r in rows),
        errors=[(r["source"], r["tgt_lang"], r["error"]) for r in rows if r["status"] == "error"],
        segments=sum(len(p.segments) for p in parsed),
        unique_translated=sum(len(s.texts) for s in shards),
        cache_hits=len(cached & {(s.src_lang, t, s.text) for p in parsed for s in p.segments for t in config.to}),
        characters=sum(r["n_chars"] for r in rows if r["status"] == "ok"),
        seconds=round(time.perf_counter() - started, 3),
    )
    if summary.ok + summary.error != summary.documents * summary.targets:
        raise RuntimeError("internal error: a document was not accounted for in the manifest")
    _report(summary)
    return summary


def _parse_all(sources, config: RunConfig) -> tuple[list[_Parsed], dict[str, str]]:
    options = FormatOptions(config.text_column)
    parsed: list[_Parsed] = []
    failed: dict[str, str] = {}
    for source in sources:
        t0 = time.perf_counter()
        try:
            doc = parse_document(source, options, config.src_lang)
            parsed.append(_Parsed(doc, segment_document(doc), time.perf_counter() - t0))
        except DocumentError as exc:
            failed[source.url] = str(exc)
        except Exception as exc:  # a parser bug must cost one document, not the run
            failed[source.url] = f"{type(exc).__name__}: {exc}"
    return parsed, failed


def _translate_all(spec: EngineSpec, shards, cache: TranslationCache, translated: dict[Key, Translation]) -> dict[Key, str]:
    """Submit every shard; idle workers pull the next. Each finished shard is cached at once."""
    from tqdm import tqdm

    errors: dict[Key, str] = {}
    futures = {translate_shard_task.submit(spec, shard): shard for shard in shards}
    with tqdm(total=sum(len(s.texts) for s in shards), unit="seg", desc="translating", disable=None, leave=False) as bar:
        for future in as_completed(list(futures)):
            shard = futures[future]
            try:
                outputs = future.result()
            except Exception as exc:
                for text in shard.texts:
                    errors[(shard.src, shard.tgt, text)] = f"translation failed: {type(exc).__name__}: {exc}"
            else:
                cache.add(shard, outputs)
                translated.update(((shard.src, shard.tgt, t), o) for t, o in zip(shard.texts, outputs))
            bar.update(len(shard.texts))
    return errors


def _unchanged(segment: Segment) -> Translation:
    """A segment already in the target language is its own translation."""
    return Translation(segment.text, tuple(exact_alignment(len(segment.text))) if segment.marked else None)


def _write_all(config, spec, parsed, failed, translated, cached, shard_errors, translate_seconds) -> list[dict]:
    """One manifest row per (document, target): documents and segments written, or the reason why not."""
    rows: list[dict] = []
    for url, message in failed.items():
        for tgt in config.to:
            rows.append(dict(source=url, tgt_lang=tgt, status="error", error=message, n_segments=0, n_chars=0,
                             n_empty=0, n_cached=0, n_spans_lost=0, seconds=0.0))
    total_chars = sum(len(s.text) for p in parsed for s in p.segments) or 1
    writer = SegmentsWriter(config.out)
    for item in parsed:
        doc, segments = item.doc, item.segments
        n_chars = sum(len(s.text) for s in segments)
        share = translate_seconds * n_chars / total_chars / len(config.to)
        for tgt in config.to:
            t0 = time.perf_counter()
            keys = [(s.src_lang, tgt, s.text) for s in segments]
            row = dict(source=doc.source, doc_id=doc.doc_id, src_lang=doc.src_lang, tgt_lang=tgt,
                       n_segments=len(segments), n_chars=n_chars, n_empty=0, n_spans_lost=0,
                       n_cached=sum(k in cached for k in keys))
            try:
                problem = next((shard_errors[k] for k in keys if k in shard_errors), None)
                if problem:
                    raise DocumentError(problem)
                outputs = [_unchanged(s) if s.src_lang == tgt else translated[k] for s, k in zip(segments, keys)]
                blocks, row["n_spans_lost"] = reassemble(doc, segments, outputs)
                row["output"] = write_document(doc, blocks, tgt, config.out)
                row["n_empty"] = writer.add_document(doc, segments, outputs, tgt, spec)
                row.update(status="ok", error=None)
            except Exception as exc:
                message = str(exc) if isinstance(exc, DocumentError) else f"{type(exc).__name__}: {exc}"
                row.update(status="error", error=message, output=None)
            row["seconds"] = item.seconds / len(config.to) + share + time.perf_counter() - t0
            rows.append(row)
    writer.close()
    return rows


def _report(summary: RunSummary) -> None:
    table = [{
        "documents": summary.documents, "target languages": summary.targets, "ok": summary.ok,
        "failed": summary.error, "segments": summary.segments, "unique translated": summary.unique_translated,
        "cache hits": summary.cache_hits, "characters": summary.characters, "seconds": summary.seconds,
    }]
    create_table_artifact(table=table, key="translation-summary", description="babelflow run summary")
    failures = [{"source": s, "target": t, "error": e} for s, t, e in summary.errors]
    if failures:
        create_table_artifact(table=failures, key="translation-failures", description="documents that failed")


def run(config: RunConfig) -> RunSummary:
    """Run the flow with one worker in-process, or one worker process per `--workers`."""
    prepare_engine(engine_spec(config))  # fail before a Prefect server is started for nothing
    if config.workers == 1:
        runner = ThreadPoolTaskRunner(max_workers=1)
    else:
        threads = max(1, (os.cpu_count() or 1) // config.workers)
        runner = ProcessPoolTaskRunner(max_workers=config.workers, initializer=init_worker, initargs=(threads,))
    return translate_documents.with_options(task_runner=runner)(config)
