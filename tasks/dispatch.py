"""Shards to a runner and back: as many in flight as the runner takes, each finished one handed on at
once, and a dead worker charged to the shard that killed it, not to the shards that shared its fate."""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Callable

from babelflow.documents import Shard, Translation
from babelflow.tasks.engines import STOP, EngineSpec
from babelflow.tasks.engines.base import on_batches
from babelflow.tasks.runners import Runner, ShardDone, WorkerDied
from babelflow.tasks.shard import Key

WORKER_DEATHS = 2  # times a shard is sent again after its worker died under it alone


@dataclass
class Dispatched:
    errors: dict[Key, str] = field(default_factory=dict)  # why the texts of failed shards have no translation
    worker_deaths: int = 0
    load_seconds: float = 0.0  # the longest a worker spent loading its engine
    model_loads: int = 0  # engines loaded by workers: one per worker, unless workers are recycled


def run_shards(runner: Runner, spec: EngineSpec, shards: list[Shard],
               finished: Callable[[Shard, list[Translation]], None], progress) -> Dispatched:
    """Send shards as workers free up; `finished` gets each shard's translations as it ends.

    A shard whose worker died (killed, out of memory) may have died of another shard on the same
    worker: every shard that was running then runs again alone, so that a death is charged to the
    shard that caused it, which fails after WORKER_DEATHS."""
    dispatch = _Dispatch(runner, spec, shards, finished, progress)
    on_batches(dispatch.heard)
    try:
        dispatch.run()
    finally:
        on_batches(None)
    return dispatch.out


class _Heard:
    """Texts that model batches in this process reported finished (an in-process worker runs one shard
    at a time): the progress bar moves per batch, and a finished shard adds only the rest."""

    def __init__(self, progress) -> None:
        self.progress = progress
        self.count = 0
        self.lock = threading.Lock()

    def __call__(self, texts: int) -> None:
        with self.lock:
            self.count += texts
        self.progress.update(texts)

    def rest(self, texts: int) -> int:
        """What a finished shard of `texts` still adds; batches heard beyond it belong to the next shard."""
        with self.lock:
            left, self.count = max(0, texts - self.count), max(0, self.count - texts)
        return left


class _Dispatch:
    def __init__(self, runner: Runner, spec: EngineSpec, shards: list[Shard],
                 finished: Callable[[Shard, list[Translation]], None], progress) -> None:
        self.runner, self.spec, self.finished, self.progress = runner, spec, finished, progress
        self.heard = _Heard(progress)
        self.out = Dispatched()
        self.deaths: Counter[int] = Counter()
        self.queue: deque[Shard] = deque(shards)
        self.alone: deque[Shard] = deque()  # shards to run one at a time, after a worker died

    def run(self) -> None:
        runner = self.runner
        while self.queue or self.alone or runner.running():
            if STOP.is_set():  # an interrupt that library code swallowed: pydantic drops a KeyboardInterrupt
                raise KeyboardInterrupt  # raised while it serializes (Prefect's states, events)
            running_alone = bool(self.alone) and not runner.running()
            if running_alone:
                runner.submit(self.spec, self.alone.popleft())
            while not self.alone and not running_alone and self.queue and runner.running() < runner.capacity:
                runner.submit(self.spec, self.queue.popleft())
            done = runner.next_done()
            if not self.record(done):
                self.after_death(done.shard, running_alone)

    def record(self, done: ShardDone) -> bool:
        """The shard's outcome; False if its worker died under it."""
        self.out.load_seconds = max(self.out.load_seconds, done.load_seconds)
        self.out.model_loads += done.loaded
        if isinstance(done.error, WorkerDied):
            return False
        if done.error is not None:
            self.fail(done.shard, f"{type(done.error).__name__}: {done.error}")
        else:
            self.finished(done.shard, done.translations)
            self.progress.update(self.heard.rest(len(done.shard.texts)))
        return True

    def fail(self, shard: Shard, problem: str) -> None:
        self.out.errors.update(((shard.src, shard.tgt, t), f"translation failed: {problem}") for t in shard.texts)
        self.progress.update(self.heard.rest(len(shard.texts)))

    def after_death(self, shard: Shard, was_alone: bool) -> None:
        """Every shard still running when a worker died runs again alone; a shard whose worker died
        under it alone once too often fails."""
        self.out.worker_deaths += 1
        while self.runner.running():
            other = self.runner.next_done()
            if not self.record(other):
                self.alone.append(other.shard)
        if was_alone:
            self.deaths[shard.index] += 1
            if self.deaths[shard.index] > WORKER_DEATHS:
                self.fail(shard, f"its worker process died {self.deaths[shard.index]} times translating it alone"
                                 " (killed, or out of memory?)")
                shard = None
        if shard is not None:
            self.alone.appendleft(shard)
        _log_death(len(self.alone))
        self.runner.restart()


def _log_death(again: int) -> None:
    from prefect.exceptions import MissingContextError
    from prefect.logging import get_logger, get_run_logger

    try:
        logger = get_run_logger()
    except MissingContextError:
        logger = get_logger("babelflow")
    logger.warning("a worker process died; %d shards run again, one at a time", again)
