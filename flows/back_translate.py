"""The back-translation flow: monolingual text in `--from` becomes synthetic parallel data, each row
translated into `--to` (sampled, searched or noised), filtered, and written as a Parquet dataset with
the corpus's own columns. Composition only: the stages live in `babelflow.tasks`, the translation core
and runners are the translate flow's."""

from __future__ import annotations

import time

from prefect import flow

from babelflow.config import SAMPLING, BackTranslateConfig
from babelflow.connectors.redact import redact
from babelflow.connectors.sinks import destination_lock, join
from babelflow.connectors.sources import check_sources, list_sources, use_storage_options
from babelflow.documents import describe
from babelflow.prefect_api import prefect_api
from babelflow.tasks.bitext_filters import REASONS, PairFilter, reason_name
from babelflow.tasks.bitext_write import BitextWriter, part_tables
from babelflow.tasks.engines import EngineSpec, prepare_engine
from babelflow.tasks.formats import FormatOptions
from babelflow.tasks.parts import Part, groups, read_parts
from babelflow.tasks.report import BackTranslationSummary, progress_bar, publish_back_translation
from babelflow.tasks.runners import choose_runner
from babelflow.tasks.synthetic import add_round_trip, pairs, requests, round_trip_requests
from babelflow.tasks.translator import Translator, cache_root, engine_spec
from babelflow.tasks.write import write_manifest

MANIFEST_COLUMNS = {
    "source": "string", "status": "string", "error": "string", "from_lang": "string", "to_lang": "string",
    "method": "string", "n_rows": "int64", "n_inputs": "int64", "n_segments": "int64", "n_outputs": "int64",
    **{f"dropped_{r}": "int64" for r in REASONS}, "seconds": "double",
}


def decoding_specs(config: BackTranslateConfig) -> list[EngineSpec]:
    """One engine setting per sample of a sampling method (each keys its own cache); one for a search,
    whose samples (noised-beam) differ only by their noise."""
    if config.method in SAMPLING:
        topk = config.topk if config.method == "topk" else 0
        return [engine_spec(config, beams=1, scores=True, sample=True, topk=topk, temperature=config.temperature,
                            seed=config.seed, sample_index=i) for i in range(config.n)]
    return [engine_spec(config, beams=config.beams if config.method != "greedy" else 1, scores=True)]


@flow(name="back_translate")
def back_translate(config: BackTranslateConfig) -> BackTranslationSummary:
    use_storage_options(config.storage)
    with destination_lock(config.out):
        return _back_translate(config)


def _back_translate(config: BackTranslateConfig) -> BackTranslationSummary:
    started = time.perf_counter()
    sources = list_sources(config.sources, exclude=[config.out])
    summary = BackTranslationSummary(documents=len(sources), dropped=dict.fromkeys(REASONS, 0))
    writer = BitextWriter(config.out, config.keep_rejected)
    judge = PairFilter(config.filters, config.src_lang, config.to)
    summary.language_filter = judge.language or not config.filters.language
    rows: dict[str, dict] = {}
    specs = decoding_specs(config)
    with progress_bar() as bar, choose_runner(specs[0], config) as runner:
        translators = [Translator(spec, cache_root(config), runner, shard_tokens=config.shard_tokens, progress=bar)
                       for spec in specs]
        # Round trips go back into --from by the run's beam search: a paraphrase, not another sample.
        back = (Translator(engine_spec(config), cache_root(config), runner, shard_tokens=config.shard_tokens,
                           progress=bar) if config.round_trip else None)
        parts = read_parts(sources, {s.url: [config.to] for s in sources},
                           FormatOptions(config.text_column, lines=True), config.src_lang, config.max_document_size)
        for group in groups(parts):
            t0 = time.perf_counter()
            keys = requests(group, config.to)
            samples = [t.translate(keys) for t in translators]
            made = {id(part): pairs(part, samples, config) for part in group if part.error is None}
            if back is not None:
                found = back.translate({k: v for p in made.values() for k, v in round_trip_requests(p, config).items()})
                for part_pairs in made.values():
                    add_round_trip(part_pairs, found, config)
                samples.append(found)
            for part_pairs in made.values():
                judge.judge(part_pairs)
            seconds = (time.perf_counter() - t0) / max(1, len(group))
            for part in group:
                _write(part, made.get(id(part), []), config, writer, rows, seconds)
            _count(summary, group, samples)
    writer.close()
    summary.manifest = write_manifest(config.out, list(rows.values()), MANIFEST_COLUMNS)
    summary.dataset = join(config.out, "data")
    _total(summary, rows)
    summary.seconds = round(time.perf_counter() - started, 3)
    publish_back_translation(summary)
    return summary


def _write(part: Part, made: list, config: BackTranslateConfig, writer: BitextWriter, rows: dict[str, dict],
           seconds: float) -> None:
    """The part's pairs into the dataset, its counts into its source's manifest row."""
    row = rows.setdefault(part.source.url, dict(
        source=part.source.url, status="ok", error=None, from_lang=config.src_lang, to_lang=config.to,
        method=config.method, n_rows=0, n_inputs=0, n_segments=0, n_outputs=0, seconds=0.0,
        **{f"dropped_{r}": 0 for r in REASONS}, parts=0,
    ))
    row["seconds"] += seconds
    if row["status"] == "error":
        return
    error = part.error
    if error is None:
        try:
            kept, rejected = part_tables(part, made, config)
            writer.write(part, row["parts"], kept, rejected)
        except Exception as exc:  # one document's bad columns or an unwritable file: its row says so
            error = redact(describe(exc))
    if error is not None:  # none of the source is in the dataset, and its counts say so
        writer.discard(part.source.url)
        row.update({k: 0 for k in row if k.startswith(("n_", "dropped_"))}, status="error", error=error)
        return
    row["parts"] += 1
    row["n_rows"] += len(part.doc.blocks)
    row["n_inputs"] += len({s.block for s in part.segments})
    row["n_segments"] += len(part.segments)
    row["n_outputs"] += kept.num_rows
    for p in made:
        if p.reason is not None:
            row[f"dropped_{reason_name(p.reason)}"] += 1


def _count(summary: BackTranslationSummary, group: list[Part], samples: list) -> None:
    summary.segments += sum(len(part.segments) for part in group)
    for results in samples:
        summary.unique_translated += results.sent
        summary.cache_hits += len(results.cached)
        summary.model_seconds = max(summary.model_seconds, results.load_seconds)
        summary.model_loads += results.model_loads
        summary.worker_deaths += results.worker_deaths


def _total(summary: BackTranslationSummary, rows: dict[str, dict]) -> None:
    for row in rows.values():
        row.pop("parts")
        if row["status"] == "error":
            summary.error += 1
            summary.errors.append((row["source"], row["error"]))
            continue
        summary.ok += 1
        summary.inputs += row["n_inputs"]
        summary.outputs += row["n_outputs"]
        for r in REASONS:
            summary.dropped[r] += row[f"dropped_{r}"]
    if summary.ok + summary.error != summary.documents:
        raise RuntimeError("internal error: a source was not accounted for in the manifest")


def run(config: BackTranslateConfig) -> BackTranslationSummary:
    """The flow, once; usage errors are found before a Prefect server is started for nothing."""
    check_sources(config.sources)
    for spec in decoding_specs(config):
        prepare_engine(spec)
    with prefect_api():
        return back_translate(config)
