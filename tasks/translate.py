"""Translate one shard on whichever worker pulls it; the engine stays loaded in the worker."""

from __future__ import annotations

import os
from dataclasses import dataclass

from prefect import task
from prefect.cache_policies import NO_CACHE

from babelflow.documents import Shard, Translation
from tasks.engines import STOP, EngineSpec, load_engine


@dataclass
class ShardResult:
    """A shard's translations as one object: Prefect tracks each element of a returned list for the
    whole run, which for millions of segments is memory that never comes back."""

    translations: list[Translation]


def translate_shard(spec: EngineSpec, shard: Shard) -> ShardResult:
    """Translations in shard order; aligned where the shard asks for it (texts with inline markup)."""
    engine = load_engine(spec)
    out = engine.translate(shard.texts, shard.src, shard.tgt)
    marked = [i for i, aligned in enumerate(shard.aligned) if aligned and out[i].text]
    if marked:
        sources = [shard.texts[i] for i in marked]
        alignments = engine.align(sources, [out[i].text for i in marked], shard.src, shard.tgt)
        for i, alignment in zip(marked, alignments, strict=True):
            out[i] = Translation(out[i].text, tuple(alignment))
    return ShardResult(out)


def init_worker(threads: int, gpus: int, slots: str) -> None:
    """Run once per worker process, before any model loads: the i-th worker to start takes GPU i (of
    `gpus`, claiming its number in the folder `slots`), or its share of the CPU cores."""
    if gpus:
        index = 0
        while True:
            try:
                os.close(os.open(os.path.join(slots, f"worker-{index}"), os.O_CREAT | os.O_EXCL))
                break
            except FileExistsError:
                index += 1
        os.environ["CUDA_VISIBLE_DEVICES"] = str(index % gpus)
    import torch

    torch.set_num_threads(threads)


def _not_interrupted(task, task_run, state) -> bool:
    """Retry a failed shard, unless the run is being interrupted."""
    return not STOP.is_set()


translate_shard_task = task(
    translate_shard, name="translate_shard", retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE,
    retry_condition_fn=_not_interrupted,
)
