"""The back-translation flow: monolingual text in `--from` becomes synthetic parallel data, each row
translated into `--to` (sampled, searched or noised), filtered, and written as a Parquet dataset with
the corpus's own columns. Composition only: the stages live in `babelflow.tasks`, the translation core
and runners are the translate flow's."""

from __future__ import annotations

import time

from prefect import flow

from babelflow.config import SAMPLING, BackTranslateConfig, ConfigError
from babelflow.connectors.sinks import destination_lock, join
from babelflow.connectors.sources import check_sources, list_sources, use_storage_options
from babelflow.prefect_api import prefect_api
from babelflow.tasks.bitext_filters import PairFilter
from babelflow.tasks.bitext_write import MANIFEST_COLUMNS, BitextWriter
from babelflow.tasks.engines import EngineSpec, check_languages, prepare_engine, samples, source_languages
from babelflow.tasks.formats import FormatOptions
from babelflow.tasks.parts import groups, read_parts
from babelflow.tasks.protect import run_protection
from babelflow.tasks.report import BackTranslationSummary, progress_bar, publish_back_translation
from babelflow.tasks.runners import choose_runner
from babelflow.tasks.synthetic import add_round_trip, pairs, requests, round_trip_requests
from babelflow.tasks.translator import Translator, cache_root, engine_spec
from babelflow.tasks.write import write_manifest

def decoding_specs(config: BackTranslateConfig) -> list[EngineSpec]:
    """One engine setting per sample of a sampling method (each keys its own cache); one for a search,
    whose samples (noised-beam) differ only by their noise."""
    if config.method in SAMPLING:
        if not samples(config.engine):
            raise ConfigError(f"engine {config.engine} cannot sample reproducibly per text; use --engine hf for"
                              f" --method {config.method}, or a search method (beam, greedy, noised-beam)")
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
    summary = BackTranslationSummary(documents=len(sources))
    writer = BitextWriter(config)
    judge = PairFilter(config.filters, config.src_lang, config.to)
    summary.language_filter = judge.language or not config.filters.language
    specs = decoding_specs(config)
    with progress_bar() as bar, choose_runner(specs[0], config) as runner:
        translators = [Translator(spec, cache_root(config), runner, shard_tokens=config.shard_tokens, progress=bar)
                       for spec in specs]
        # Round trips go back into --from by the run's beam search: a paraphrase, not another sample.
        back = (Translator(engine_spec(config), cache_root(config), runner, shard_tokens=config.shard_tokens,
                           progress=bar) if config.round_trip else None)
        protection = run_protection(config.protect, config.glossary)
        parts = read_parts(sources, {s.url: [config.to] for s in sources},
                           FormatOptions(config.text_column, lines=True), config.src_lang, config.max_document_size,
                           protection, source_languages(engine_spec(config)))
        for group in groups(parts):
            t0 = time.perf_counter()
            keys = requests(group, config.to)
            samples = [t.translate(keys) for t in translators]
            made = {id(part): pairs(part, samples, config, protection) for part in group if part.error is None}
            if back is not None:
                found = back.translate({k: v for p in made.values() for k, v in round_trip_requests(p, config).items()})
                for part_pairs in made.values():
                    add_round_trip(part_pairs, found, config)
                samples.append(found)
            for part_pairs in made.values():
                judge.judge(part_pairs)
            seconds = (time.perf_counter() - t0) / max(1, len(group))
            for part in group:
                writer.add(part, made.get(id(part), []), seconds)
            summary.add(group, samples)
    rows = writer.close()
    summary.manifest = write_manifest(join(config.out, "manifest.parquet"), rows, MANIFEST_COLUMNS)
    summary.dataset = join(config.out, "data")
    summary.count(rows)
    summary.seconds = round(time.perf_counter() - started, 3)
    publish_back_translation(summary)
    return summary


def run(config: BackTranslateConfig) -> BackTranslationSummary:
    """The flow, once; usage errors are found before a Prefect server is started for nothing."""
    check_sources(config.sources)
    for spec in decoding_specs(config):
        prepare_engine(spec)
        check_languages(spec, config.src_lang, [config.to])
        if config.round_trip:  # the synthetic sources are translated back
            check_languages(spec, config.to, [config.src_lang])
    with prefect_api():
        return back_translate(config)
