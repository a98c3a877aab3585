"""Shards as Prefect tasks on Prefect task runners, one per worker slot: a thread in this process, or
a process of its own per GPU or per CPU share.

Each slot's task runner is entered once per run, so its worker loads the model once. A slot's
placement (its GPU, its CPU threads) travels with each shard it runs, not through a process-pool
initializer or files of the driver, so it holds whatever started the worker process; and since every
process is its own slot, a worker that dies takes only its own shards down.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from functools import partial
from typing import Callable

from babelflow.documents import Shard
from babelflow.tasks.engines import STOP, EngineSpec
from babelflow.tasks.runners.base import ShardDone, WorkerDied
from babelflow.tasks.translate import translate_shard_task

SHARDS_PER_SLOT = 2  # in flight per worker: the next shard is ready when one finishes


@dataclass
class Slot:
    """One worker: how to start its task runner, and where its model runs."""

    start: Callable[[], object]  # a Prefect task runner, not yet entered
    device: str | None = None  # its own GPU (`cuda:N`), else the spec's device
    threads: int = 0  # CPU threads for its model (0: as the process has them)
    runner: object = None
    running: int = 0
    broken: bool = False

    def enter(self) -> None:
        self.runner = self.start()
        self.runner.__enter__()
        self.running, self.broken = 0, False


def in_process() -> Slot:
    from prefect.task_runners import ThreadPoolTaskRunner

    return Slot(lambda: ThreadPoolTaskRunner(max_workers=1))


def process_slots(count: int, gpus: int) -> list[Slot]:
    """`count` worker processes: the i-th on GPU i (mod the visible GPUs), or each with its share of
    the CPU cores."""
    from prefect.task_runners import ProcessPoolTaskRunner

    threads = max(1, (os.cpu_count() or 1) // count)
    start = partial(ProcessPoolTaskRunner, max_workers=1, initializer=_leave_interrupts_to_the_driver)
    return [Slot(start, f"cuda:{i % gpus}" if gpus else None, threads) for i in range(count)]


def _leave_interrupts_to_the_driver() -> None:
    """A Ctrl-C reaches the terminal's whole process group; the driver stops these processes itself,
    so that they end without a traceback each."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class PrefectRunner:
    def __init__(self, slots: list[Slot]) -> None:
        self.slots = slots
        self.capacity = SHARDS_PER_SLOT * len(slots)
        self.futures: dict = {}  # Prefect future -> (shard, slot)

    def __enter__(self) -> "PrefectRunner":
        entered = []
        try:
            for slot in self.slots:
                slot.enter()
                entered.append(slot)
        except BaseException:
            for slot in entered:
                slot.runner.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, kind, value, traceback) -> None:
        """On an interrupt, engines stop at their next decoding step and worker processes are
        terminated, so the run ends in seconds instead of after the shards in flight."""
        if STOP.is_set() or (kind is not None and issubclass(kind, KeyboardInterrupt)):
            STOP.set()
            for child in multiprocessing.active_children():
                child.terminate()
        try:
            for slot in self.slots:
                slot.runner.__exit__(kind, value, traceback)
        finally:
            STOP.clear()
            self.futures.clear()

    def submit(self, spec: EngineSpec, shard: Shard) -> None:
        slot = min((s for s in self.slots if not s.broken), key=lambda s: s.running)
        placed = replace(spec, device=slot.device) if slot.device else spec
        future = slot.runner.submit(translate_shard_task, {"spec": placed, "shard": shard, "threads": slot.threads})
        slot.running += 1
        self.futures[future] = (shard, slot)

    def running(self) -> int:
        return len(self.futures)

    def next_done(self) -> ShardDone:
        from prefect.futures import as_completed

        future = next(iter(as_completed(list(self.futures))))
        shard, slot = self.futures.pop(future)
        slot.running -= 1
        try:
            result = future.result()
            return ShardDone(shard, result.translations, load_seconds=result.load_seconds, loaded=result.loaded)
        except BrokenProcessPool:
            slot.broken = True
            return ShardDone(shard, error=WorkerDied("its worker process died"))
        except Exception as exc:
            return ShardDone(shard, error=exc)

    def restart(self) -> None:
        for slot in self.slots:
            if slot.broken:
                slot.runner.__exit__(None, None, None)
                slot.enter()
