"""Translate one shard on whichever worker pulls it; the engine stays loaded in the worker."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from babelflow.documents import Shard
from tasks.engines import EngineSpec, load_engine


def translate_shard(spec: EngineSpec, shard: Shard) -> list[str]:
    engine = load_engine(spec)
    return [t.text for t in engine.translate(shard.texts, shard.src, shard.tgt)]


def init_worker(threads: int) -> None:
    """Run once per worker process: share the CPU cores instead of oversubscribing them."""
    import torch

    torch.set_num_threads(threads)


translate_shard_task = task(
    translate_shard, name="translate_shard", retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE
)
