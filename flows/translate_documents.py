"""The translate flow: list, parse, segment, shard, translate on workers, reassemble, write, report."""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import time
from collections import Counter, deque
from contextlib import contextmanager
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from typing import Iterator

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.futures import as_completed
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

from babelflow.config import RunConfig
from babelflow.documents import Document, DocumentError, Segment, Shard, Translation, describe
from connectors.sinks import destination_lock, join, safe_relpath
from connectors.redact import redact
from connectors.sources import Source, list_sources, use_storage_options
from tasks.cache import TranslationCache
from tasks.engines import MODEL_ENGINES, STOP, EngineSpec, prepare_engine
from tasks.formats import FormatOptions
from tasks.parse import read_document
from tasks.project import exact_alignment
from tasks.reassemble import reassemble
from tasks.segment import segment_document
from tasks.shard import Key, make_shards
from tasks.state import RunState
from tasks.suspect import suspect
from tasks.translate import init_worker, translate_shard_task
from tasks.write import DocumentSink, SegmentsWriter, write_manifest


GROUP_SEGMENTS = 100_000  # segments held in memory at once; corpora stream through in parts
WORKER_DEATHS = 2  # times a shard is sent again after its worker process died
RETRY_BEAMS = 4  # --on-suspect retry: beam search of at least this width,
RETRY_NO_REPEAT = 3  # and no n-gram of this many tokens twice


@dataclass
class _Part:
    """One part of a document (a whole file, or a run of corpus rows), or why it could not be read."""

    source: Source
    targets: list[str]  # the target languages this document still needs
    doc: Document | None
    segments: list[Segment]
    seconds: float
    last: bool
    error: str | None = None


@dataclass
class _Output:
    """One (document, target) manifest row, built up over the document's parts."""

    sink: DocumentSink
    row: dict


@dataclass
class RunSummary:
    documents: int = 0
    targets: int = 0
    ok: int = 0
    error: int = 0
    skipped: int = 0
    segments: int = 0
    unique_translated: int = 0
    cache_hits: int = 0
    suspect: int = 0  # segments whose translation looks degenerate (see tasks/suspect.py)
    characters: int = 0
    seconds: float = 0.0
    manifest: str = ""
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (source, tgt, message)
    disappeared: list[str] = field(default_factory=list)  # sources of earlier runs no longer found
    pruned: bool = False

    @property
    def exit_code(self) -> int:
        return 1 if self.error else 0


def engine_spec(config: RunConfig) -> EngineSpec:
    return EngineSpec(config.engine, config.model, config.beams, config.max_batch_tokens, config.device,
                      allow_pickle=config.allow_pickle)


def cache_root(config: RunConfig) -> str:
    return config.cache or join(config.out, ".babelflow", "cache")


@flow(name="translate_documents")
def translate_documents(config: RunConfig) -> RunSummary:
    use_storage_options(config.storage)
    with destination_lock(config.out):
        return _translate(config)


def _translate(config: RunConfig) -> RunSummary:
    logger = get_run_logger()
    started = time.perf_counter()
    spec = engine_spec(config)
    engine_key = prepare_engine(spec)
    cache = TranslationCache(cache_root(config), engine_key).open()
    sources = list_sources(config.sources, exclude=[config.out])
    state = RunState(config.out).load()
    summary = RunSummary(documents=len(sources), targets=len(config.to), pruned=config.prune)
    rows: list[dict] = []
    needed: dict[str, list[str]] = {}
    refused = _refused_names(sources)
    for source in sources:
        needed[source.url] = []
        for tgt in config.to:
            done = None if config.force else state.unchanged(source, tgt, engine_key)
            if source.url in refused:
                rows.append(_row(source.url, tgt, status="error", error=refused[source.url]))
            elif done:
                rows.append(_row(source.url, tgt, status="skipped", output=done.output))
            else:
                needed[source.url].append(tgt)
    outputs: dict[tuple[str, str], _Output] = {}
    writer = SegmentsWriter(config.out)
    retry = replace(spec, beams=max(spec.beams, RETRY_BEAMS), no_repeat_ngram=RETRY_NO_REPEAT)
    retry_cache: TranslationCache | None = None
    with _progress() as bar, _Workers(config) as workers, _aborted_on_exit(outputs):
        for group in _groups(_parts([s for s in sources if needed[s.url]], needed, config)):
            segments = [s for part in group for s in part.segments]
            wanted = [(s, part.targets) for part in group for s in part.segments]
            keys = {(s.src_lang, t, s.text) for s, targets in wanted for t in targets}
            translated = cache.lookup(keys)
            cached = set(translated)
            shards = make_shards(wanted, config.shard_tokens, translated)
            bar.total += sum(len(s.texts) for s in shards)
            t0 = time.perf_counter()
            errors = _translate_all(workers, spec, shards, cache, translated, bar)
            suspects = _suspects(keys, translated)
            if suspects and config.on_suspect == "retry":
                retry_cache = retry_cache or TranslationCache(cache_root(config), prepare_engine(retry)).open()
                _retry(workers, retry, wanted, suspects, retry_cache, translated, config.shard_tokens, bar)
            share = (time.perf_counter() - t0) / max(1, sum(len(s.text) * len(t) for s, t in wanted))
            results = _Results(translated, cached, errors, suspects)
            for part in group:
                rows += _write_part(part, config, spec, results, share, outputs, writer)
            summary.segments += len(segments)
            summary.unique_translated += sum(len(s.texts) for s in shards)
            summary.cache_hits += len(cached)
    gone = state.disappeared(sources)
    summary.disappeared = sorted(gone)
    if config.prune:
        _prune(gone, state, {r["output"] for r in rows if r["output"]})
    keep = {(r["source"], r["tgt_lang"]) for r in rows if r["status"] == "skipped"}
    writer.close(keep | {(url, tgt) for url in gone for tgt in config.to if not config.prune})
    by_url = {s.url: s for s in sources}
    for r in rows:
        if r["status"] == "ok":
            state.record(by_url[r["source"]], r["tgt_lang"], engine_key, r["output"])
        elif r["status"] == "error":  # its earlier output and segments no longer stand for it
            state.forget(r["source"], r["tgt_lang"])
    state.save()
    logger.info("%d documents, %d segments, %d disappeared", len(sources), summary.segments, len(gone))
    summary.manifest = write_manifest(config.out, rows)
    summary.ok = sum(r["status"] == "ok" for r in rows)
    summary.error = sum(r["status"] == "error" for r in rows)
    summary.skipped = sum(r["status"] == "skipped" for r in rows)
    summary.errors = [(r["source"], r["tgt_lang"], r["error"]) for r in rows if r["status"] == "error"]
    summary.characters = sum(r["n_chars"] for r in rows if r["status"] == "ok")
    summary.suspect = sum(r["n_suspect"] for r in rows)
    summary.seconds = round(time.perf_counter() - started, 3)
    if summary.ok + summary.error + summary.skipped != summary.documents * summary.targets:
        raise RuntimeError("internal error: a document was not accounted for in the manifest")
    _report(summary)
    return summary


def _row(source: str, tgt: str, **values) -> dict:
    row = dict(source=source, doc_id=None, tgt_lang=tgt, src_lang=None, status="ok", error=None, output=None,
               n_segments=0, n_chars=0, n_empty=0, n_suspect=0, n_cached=0, n_spans_lost=0, seconds=0.0)
    row.update(values)
    return row


@contextmanager
def _aborted_on_exit(outputs: dict[tuple[str, str], _Output]) -> Iterator[None]:
    """Outputs still being written when the run stops (Ctrl-C, an internal error) are discarded, so no
    temporary file is left, locally or in the temp folder of an object-store upload."""
    try:
        yield
    finally:
        for out in outputs.values():
            out.sink.abort()


def _refused_names(sources: list[Source]) -> dict[str, str]:
    """Sources that are never read: their output name is unsafe, or an earlier source already has it."""
    refused: dict[str, str] = {}
    owners: dict[str, str] = {}
    for source in sources:
        try:
            safe_relpath(source.relpath)
        except DocumentError as exc:
            refused[source.url] = redact(str(exc))
            continue
        owner = owners.setdefault(source.relpath, source.url)
        if owner != source.url:
            refused[source.url] = redact(
                f"its output name {source.relpath!r} is also that of {owner}; translate them to separate destinations")
    return refused


def _prune(gone: dict[str, list[str]], state: RunState, written: set[str]) -> None:
    """--prune: outputs of sources that disappeared are deleted, and forgotten; unless a source listed
    now writes the same output (a moved folder, a bucket renamed, http that became https)."""
    from fsspec.core import url_to_fs

    for url, outputs in gone.items():
        for output in outputs:
            if output in written:
                continue
            fs, path = url_to_fs(output)
            if fs.exists(path):
                fs.rm(path)
        state.forget(url)


def _parts(sources: list[Source], needed: dict[str, list[str]], config: RunConfig) -> Iterator[_Part]:
    """Every part of every document, in order, each segmented; a document that fails stops there."""
    options = FormatOptions(config.text_column)
    for source in sources:
        targets = needed[source.url]
        parts = read_document(source, options, config.src_lang, config.max_document_size)
        t0 = time.perf_counter()
        try:
            part = next(parts)
            while True:
                segments = segment_document(part)
                following = next(parts, None)
                yield _Part(source, targets, part, segments, time.perf_counter() - t0, following is None)
                if following is None:
                    break
                part, t0 = following, time.perf_counter()
        except Exception as exc:  # a parser bug must cost one document, not the run
            yield _Part(source, targets, None, [], 0.0, True, redact(describe(exc)))


def _groups(parts: Iterator[_Part]) -> Iterator[list[_Part]]:
    group: list[_Part] = []
    size = 0
    for part in parts:
        group.append(part)
        size += len(part.segments)
        if size >= GROUP_SEGMENTS:
            yield group
            group, size = [], 0
    if group:
        yield group


def _progress():
    from tqdm import tqdm

    return tqdm(total=0, unit="seg", desc="translating", disable=None, leave=False)


class _Workers:
    """Where shards run: a task runner entered once per run so that each worker loads its model once,
    and entered afresh when a worker process dies (its pool is unusable).
    On an interrupt, engines stop at their next decoding step and worker processes are terminated,
    so the run ends in seconds instead of after the shards in flight."""

    def __init__(self, config: RunConfig) -> None:
        self.gpus = _visible_gpus(config)
        self.count = config.workers or max(self.gpus, 1)
        self.capacity = 2 * self.count  # shards in flight at once

    def __enter__(self) -> "_Workers":
        self.runner = self._task_runner()
        self.runner.__enter__()
        return self

    def _task_runner(self):
        """One worker in-process, or worker processes that each load the model once: by default one per
        visible GPU, else `--workers N`, each on its own GPU or with its share of the CPU cores."""
        if self.count == 1:
            return ThreadPoolTaskRunner(max_workers=1)
        threads = max(1, (os.cpu_count() or 1) // self.count)
        slots = tempfile.mkdtemp(prefix="babelflow-workers-") if self.gpus else ""
        return ProcessPoolTaskRunner(max_workers=self.count, initializer=init_worker,
                                     initargs=(threads, self.gpus, slots))

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None and issubclass(kind, KeyboardInterrupt):
            STOP.set()
            for child in multiprocessing.active_children():
                child.terminate()
        try:
            self.runner.__exit__(kind, value, traceback)
        finally:
            STOP.clear()

    def restart(self) -> None:
        self.runner.__exit__(None, None, None)
        self.__enter__()

    def submit(self, spec: EngineSpec, shard: Shard):
        return self.runner.submit(translate_shard_task, {"spec": spec, "shard": shard})


def _translate_all(workers: _Workers, spec: EngineSpec, shards: list[Shard], cache: TranslationCache,
                   translated: dict[Key, Translation], bar) -> dict[Key, str]:
    """Send shards as workers free up; each finished shard is cached at once.

    A failing shard is retried by its task (Prefect retries). A worker process that dies (killed, out
    of memory) takes its pool and every shard in it down: those shards then run one at a time on fresh
    workers, so that a death is charged to the shard that caused it, which fails after WORKER_DEATHS."""
    errors: dict[Key, str] = {}
    deaths: Counter[int] = Counter()
    queue, alone = deque(shards), deque()
    running: dict = {}  # future -> (shard, whether it runs alone)

    def fail(shard: Shard, problem: str) -> None:
        errors.update(((shard.src, shard.tgt, t), f"translation failed: {problem}") for t in shard.texts)

    def finish(shard: Shard, future) -> bool:
        """Record a shard's outcome; False if its pool broke under it."""
        try:
            outputs = future.result().translations
        except BrokenProcessPool:
            return False
        except Exception as exc:
            fail(shard, f"{type(exc).__name__}: {exc}")
        else:
            cache.add(shard, outputs)
            translated.update(((shard.src, shard.tgt, t), o) for t, o in zip(shard.texts, outputs))
        bar.update(len(shard.texts))
        return True

    while queue or alone or running:
        if alone and not running:
            shard = alone.popleft()
            running[workers.submit(spec, shard)] = (shard, True)
        while not alone and queue and len(running) < workers.capacity:
            shard = queue.popleft()
            running[workers.submit(spec, shard)] = (shard, False)
        future = next(iter(as_completed(list(running))))
        shard, was_alone = running.pop(future)
        if finish(shard, future):
            continue
        for other, (pending, _) in list(running.items()):
            if not finish(pending, other):
                alone.append(pending)
        running.clear()
        if was_alone:
            deaths[shard.index] += 1
            if deaths[shard.index] > WORKER_DEATHS:
                fail(shard, f"its worker process died {deaths[shard.index]} times translating it alone"
                            " (killed, or out of memory?)")
                bar.update(len(shard.texts))
                shard = None
        if shard is not None:
            alone.appendleft(shard)
        get_run_logger().warning("a worker process died; %d shards run again, one at a time", len(alone))
        workers.restart()
    return errors


def _suspects(keys: set[Key], translated: dict[Key, Translation]) -> dict[Key, str]:
    """The translations of this group that look degenerate, and why (text already in the target
    language is its own translation, never suspect)."""
    reasons = {k: suspect(k[2], translated[k].text, k[0], k[1]) for k in keys if k[0] != k[1] and k in translated}
    return {k: reason for k, reason in reasons.items() if reason}


def _retry(workers: _Workers, spec: EngineSpec, wanted, suspects: dict[Key, str], cache: TranslationCache,
           translated: dict[Key, Translation], shard_tokens: int, bar) -> None:
    """--on-suspect retry: suspect texts once more with beam search and no repeated 3-grams (cached
    under that engine setting); a retry that no longer looks degenerate replaces the first translation."""
    again = cache.lookup(set(suspects))
    shards = make_shards(
        ((s, [t]) for s, targets in wanted for t in targets if (s.src_lang, t, s.text) in suspects), shard_tokens, again)
    bar.total += sum(len(s.texts) for s in shards)
    _translate_all(workers, spec, shards, cache, again, bar)  # a failed retry leaves the first translation
    for key, new in again.items():
        if key in suspects and suspect(key[2], new.text, key[0], key[1]) is None:
            translated[key] = new
            del suspects[key]


def _unchanged(segment: Segment) -> Translation:
    """A segment already in the target language is its own translation."""
    return Translation(segment.text, tuple(exact_alignment(len(segment.text))) if segment.marked else None)


@dataclass
class _Results:
    """What a group of parts got from the engine: translations, which came from the cache, which
    failed, which look degenerate."""

    translated: dict[Key, Translation]
    cached: set[Key]
    errors: dict[Key, str]
    suspects: dict[Key, str]


def _write_part(part: _Part, config: RunConfig, spec: EngineSpec, results: _Results, share: float, outputs,
                writer: SegmentsWriter) -> list[dict]:
    """Add one part to each target's output; a document's manifest rows come with its last part."""
    done: list[dict] = []
    for tgt in part.targets:
        out = outputs.get((part.source.url, tgt))
        if out is None:
            out = outputs[(part.source.url, tgt)] = _Output(
                DocumentSink(config.out, part.doc.relpath if part.doc else "", tgt),
                _row(part.source.url, tgt, doc_id=part.doc.doc_id if part.doc else None),
            )
        row = out.row
        if row["status"] == "ok":
            t0 = time.perf_counter()
            try:
                if part.error:
                    raise DocumentError(part.error)
                _add_part(part, tgt, row, out.sink, results, writer, spec, config.on_suspect)
            except Exception as exc:
                out.sink.abort()
                row.update(status="error", error=redact(describe(exc)), output=None)
            row["seconds"] += part.seconds / len(part.targets) + share * sum(len(s.text) for s in part.segments)
            row["seconds"] += time.perf_counter() - t0
        if part.last:
            if row["status"] == "ok":
                try:
                    row["output"] = out.sink.commit()
                except Exception as exc:
                    row.update(status="error", error=redact(f"cannot write: {describe(exc)}"))
            done.append(outputs.pop((part.source.url, tgt)).row)
    return done


def _add_part(part: _Part, tgt: str, row: dict, sink: DocumentSink, results: _Results, writer: SegmentsWriter,
              spec: EngineSpec, on_suspect: str) -> None:
    doc, segments = part.doc, part.segments
    keys = [(s.src_lang, tgt, s.text) for s in segments]
    problem = next((results.errors[k] for k in keys if k in results.errors), None)
    if problem:
        raise DocumentError(problem)
    outputs = [_unchanged(s) if s.src_lang == tgt else results.translated[k] for s, k in zip(segments, keys)]
    reasons = [results.suspects.get(k) for k in keys]
    n_suspect = sum(r is not None for r in reasons)
    if n_suspect and on_suspect == "fail":
        reason, text = next((r, s.text) for r, s in zip(reasons, segments) if r)
        raise DocumentError(f"{n_suspect} suspect translations (first: {reason}, for {text[:60]!r});"
                            " --on-suspect keep or retry writes them")
    blocks, lost = reassemble(doc, segments, outputs)
    sink.add(doc, blocks)
    row["n_empty"] += writer.add_document(doc, segments, outputs, reasons, tgt, spec, row["n_segments"])
    row["src_lang"] = row["src_lang"] or doc.src_lang
    row["n_segments"] += len(segments)
    row["n_chars"] += sum(len(s.text) for s in segments)
    row["n_suspect"] += n_suspect
    row["n_cached"] += sum(k in results.cached for k in keys)
    row["n_spans_lost"] += lost


def _report(summary: RunSummary) -> None:
    table = [{
        "documents": summary.documents, "target languages": summary.targets, "ok": summary.ok,
        "failed": summary.error, "segments": summary.segments, "unique translated": summary.unique_translated,
        "cache hits": summary.cache_hits, "suspect": summary.suspect, "characters": summary.characters, "seconds": summary.seconds,
    }]
    create_table_artifact(table=table, key="translation-summary", description="babelflow run summary")
    failures = [{"source": s, "target": t, "error": e} for s, t, e in summary.errors]
    if failures:
        create_table_artifact(table=failures, key="translation-failures", description="documents that failed")


def _visible_gpus(config: RunConfig) -> int:
    if config.engine not in MODEL_ENGINES or config.device not in ("auto", "cuda"):
        return 0
    import torch

    return torch.cuda.device_count()


def run(config: RunConfig) -> RunSummary:
    prepare_engine(engine_spec(config))  # fail before a Prefect server is started for nothing
    return translate_documents(config)


def serve(configs: dict[str, RunConfig]) -> None:
    """Serve one deployment per config (named after it), on its cron schedule, until interrupted."""
    from prefect import serve as prefect_serve

    prefect_serve(*(
        translate_documents.to_deployment(
            name=name, cron=config.schedule, parameters={"config": config.model_dump(mode="json", by_alias=True)},
        )
        for name, config in configs.items()
    ))
