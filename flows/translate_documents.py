"""The translate flow: list, plan, parse and segment, translate, reassemble and write, state and
manifest, report. Composition only: each stage lives in `babelflow.tasks`."""

from __future__ import annotations

import time

from prefect import flow, get_run_logger

from babelflow.config import RunConfig
from babelflow.connectors.sinks import destination_lock
from babelflow.connectors.sources import Source, check_sources, list_sources, use_storage_options
from babelflow.prefect_api import prefect_api
from babelflow.tasks.engines import check_languages, model_label, prepare_engine, source_languages
from babelflow.tasks.formats import FormatOptions
from babelflow.tasks.outputs import Outputs
from babelflow.tasks.partition import Layout
from babelflow.tasks.parts import groups, read_parts, requests
from babelflow.tasks.plan import plan
from babelflow.tasks.protect import Protection, run_protection
from babelflow.tasks.prune import prune
from babelflow.tasks.report import RunSummary, progress_bar, publish
from babelflow.tasks.runners import choose_runner
from babelflow.tasks.state import RunState
from babelflow.tasks.translator import Translator, cache_root, engine_spec
from babelflow.tasks.write import SegmentsWriter, output_url, write_manifest


@flow(name="translate_documents")
def translate_documents(config: RunConfig) -> RunSummary:
    use_storage_options(config.storage)
    layout = Layout(config.out, config.part)
    with destination_lock(config.out, layout):
        return _translate(config, layout)


def _translate(config: RunConfig, layout: Layout) -> RunSummary:
    started = time.perf_counter()
    spec = engine_spec(config)
    listed = list_sources(config.sources, exclude=[config.out])
    sources = [s for s in listed if layout.mine(s.url)]
    state = RunState(layout.state).load()
    summary = RunSummary(documents=len(sources), targets=len(config.to), pruned=config.prune, listed=len(listed),
                         part=config.part and f"{config.part[0]}/{config.part[1]}")
    writer = SegmentsWriter(config.out, spec.name, model_label(spec), layout.tag)
    protection = run_protection(config.protect, config.glossary)
    with progress_bar() as bar, choose_runner(spec, config) as runner:
        translator = Translator(spec, cache_root(config), runner, shard_tokens=config.shard_tokens,
                                on_suspect=config.on_suspect, progress=bar)
        # An output is up to date for this engine setting and this protection (kinds, glossary); the cache
        # holds sentences with their placeholders, so a glossary change retranslates only what it touches.
        output_key = f"{translator.engine_key} {protection.key}"
        rows, needed = plan(sources, config.to, state, output_key, config.force, listed)
        rows += _translate_documents(config, translator, protection, [s for s in sources if needed[s.url]], needed,
                                     writer, summary)
    # Outputs of other parts' sources: a source moved to another part's share still owns its output.
    elsewhere = {output_url(config.out, tgt, s.relpath) for s in listed if not layout.mine(s.url) for tgt in config.to}
    _close(config, sources, state, rows, writer, output_key, summary, elsewhere)
    summary.manifest = write_manifest(layout.manifest, rows)
    summary.count(rows)
    summary.seconds = round(time.perf_counter() - started, 3)
    publish(summary)
    return summary


def _translate_documents(config: RunConfig, translator: Translator, protection: Protection, sources: list[Source],
                         needed: dict[str, list[str]], writer: SegmentsWriter, summary: RunSummary) -> list[dict]:
    """Parse, segment, translate and write the documents, a group of parts at a time; their manifest rows."""
    rows: list[dict] = []
    parts = read_parts(sources, needed, FormatOptions(config.text_column), config.src_lang, config.max_document_size,
                       protection, source_languages(translator.spec))
    with Outputs(config.out, writer, config.on_suspect, protection) as outputs:
        for group in groups(parts):
            t0 = time.perf_counter()
            results = translator.translate(requests(group))
            chars = sum(len(s.text) * len(part.targets) for part in group for s in part.segments)
            share = max(0.0, time.perf_counter() - t0 - results.load_seconds) / max(1, chars)  # load: reported apart
            for part in group:
                rows += outputs.add(part, results, share)
            summary.segments += sum(len(part.segments) for part in group)
            summary.unique_translated += results.sent
            summary.cache_hits += len(results.cached)
            summary.model_seconds = max(summary.model_seconds, results.load_seconds)
            summary.model_loads += results.model_loads
            summary.worker_deaths += results.worker_deaths
    return rows


def _close(config: RunConfig, sources: list[Source], state: RunState, rows: list[dict], writer: SegmentsWriter,
           engine_key: str, summary: RunSummary, elsewhere: set[str]) -> None:
    """Prune what disappeared (if asked; not what a listed source writes), finish the segments dataset,
    and record the run state."""
    gone = state.disappeared(sources)
    summary.disappeared = sorted(gone)
    if config.prune:
        prune(gone, state, {r["output"] for r in rows if r["output"]} | elsewhere)
    keep = {(r["source"], r["tgt_lang"]) for r in rows if r["status"] == "skipped"}
    writer.close(keep | {(url, tgt) for url in gone for tgt in config.to if not config.prune})
    state.update(rows, sources, engine_key)
    state.save()
    get_run_logger().info("%d documents, %d segments, %d disappeared", len(sources), summary.segments, len(gone))


def run(config: RunConfig) -> RunSummary:
    """The flow, once: usage errors (no such source, no such engine or model) are found before a Prefect
    server is started for nothing."""
    check_sources(config.sources)
    prepare_engine(engine_spec(config))
    check_languages(engine_spec(config), config.src_lang, config.to)
    with prefect_api():
        return translate_documents(config)
