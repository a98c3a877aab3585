"""Translate one shard on whichever worker pulls it; the engine stays loaded in the worker process."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace

from prefect import task
from prefect.cache_policies import NO_CACHE

from babelflow.documents import Shard, Translation
from babelflow.tasks.engines import STOP, EngineSpec, is_loaded, load_engine


@dataclass
class ShardResult:
    """A shard's translations as one object: Prefect tracks each element of a returned list for the
    whole run, which for millions of segments is memory that never comes back."""

    translations: list[Translation]
    load_seconds: float  # spent loading the engine (0 once it is loaded in this process)
    loaded: bool = False  # this shard's worker loaded the engine for it (counted per run: one per worker)


def translate_shard(spec: EngineSpec, shard: Shard, threads: int = 0) -> ShardResult:
    """Translations in shard order; aligned where the shard asks for it (texts with inline markup), and
    scored when the engine setting asks for it.
    `threads` caps the CPU threads of a model sharing the machine with other workers."""
    t0 = time.perf_counter()
    loaded = not is_loaded(spec)
    engine = load_engine(spec)
    load_seconds = time.perf_counter() - t0
    if threads and "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    out = engine.translate(shard.texts, shard.src, shard.tgt)
    if spec.scores:
        scores = engine.score(shard.texts, [t.text for t in out], shard.src, shard.tgt)
        out = [replace(t, score=s) for t, s in zip(out, scores, strict=True)]
    marked = [i for i, aligned in enumerate(shard.aligned) if aligned and out[i].text]
    if marked:
        sources = [shard.texts[i] for i in marked]
        alignments = engine.align(sources, [out[i].text for i in marked], shard.src, shard.tgt)
        for i, alignment in zip(marked, alignments, strict=True):
            out[i] = replace(out[i], alignment=tuple(alignment))
    return ShardResult(out, load_seconds, loaded)


def _not_interrupted(task, task_run, state) -> bool:
    """Retry a failed shard, unless the run is being interrupted."""
    return not STOP.is_set()


translate_shard_task = task(
    translate_shard, name="translate_shard", retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE,
    retry_condition_fn=_not_interrupted,
)
