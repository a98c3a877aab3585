"""Shards to a runner and back: as many in flight as the runner takes, each finished one handed on at
once, and a dead worker charged to the shard that killed it, not to the shards that shared its fate."""

from __future__ import annotations

from collections import Counter, deque
from typing import Callable

from babelflow.documents import Shard, Translation
from babelflow.tasks.engines import EngineSpec
from babelflow.tasks.runners import Runner, WorkerDied
from babelflow.tasks.shard import Key

WORKER_DEATHS = 2  # times a shard is sent again after its worker died under it alone


def run_shards(runner: Runner, spec: EngineSpec, shards: list[Shard],
               finished: Callable[[Shard, list[Translation]], None], progress) -> dict[Key, str]:
    """Send shards as workers free up; `finished` gets each shard's translations as it ends. Returns
    why the texts of failed shards have no translation.

    A shard whose worker died (killed, out of memory) may have died of another shard on the same
    worker: every shard that was running then runs again alone, so that a death is charged to the
    shard that caused it, which fails after WORKER_DEATHS."""
    errors: dict[Key, str] = {}
    deaths: Counter[int] = Counter()
    queue, alone = deque(shards), deque()
    running_alone = False

    def fail(shard: Shard, problem: str) -> None:
        errors.update(((shard.src, shard.tgt, t), f"translation failed: {problem}") for t in shard.texts)
        progress.update(len(shard.texts))

    def record(done) -> bool:
        """The shard's outcome; False if its worker died under it."""
        if isinstance(done.error, WorkerDied):
            return False
        if done.error is not None:
            fail(done.shard, f"{type(done.error).__name__}: {done.error}")
        else:
            finished(done.shard, done.translations)
            progress.update(len(done.shard.texts))
        return True

    while queue or alone or runner.running():
        if alone and not runner.running():
            runner.submit(spec, alone[0])
            running_alone = True
        while not alone and queue and runner.running() < runner.capacity:
            runner.submit(spec, queue.popleft())
        done = runner.next_done()
        was_alone, running_alone = running_alone, False
        if was_alone:
            alone.popleft()
        if record(done):
            continue
        shard = done.shard
        while runner.running():
            other = runner.next_done()
            if not record(other):
                alone.append(other.shard)
        if was_alone:
            deaths[shard.index] += 1
            if deaths[shard.index] > WORKER_DEATHS:
                fail(shard, f"its worker process died {deaths[shard.index]} times translating it alone"
                            " (killed, or out of memory?)")
                shard = None
        if shard is not None:
            alone.appendleft(shard)
        _log_death(len(alone))
        runner.restart()
    return errors


def _log_death(again: int) -> None:
    from prefect.exceptions import MissingContextError
    from prefect.logging import get_logger, get_run_logger

    try:
        logger = get_run_logger()
    except MissingContextError:
        logger = get_logger("babelflow")
    logger.warning("a worker process died; %d shards run again, one at a time", again)
