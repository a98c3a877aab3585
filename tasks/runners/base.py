"""The runner protocol: submit a shard, collect finished ones, tell a dead worker from a failed shard,
replace dead workers, stop at once on an interrupt."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from babelflow.documents import Shard, Translation
from babelflow.tasks.engines import EngineSpec


class WorkerDied(RuntimeError):
    """The worker running a shard died (killed, out of memory), which may or may not be the shard's
    fault: the core sends the shard again alone to find out."""


@dataclass
class ShardDone:
    """A shard's outcome: its translations in shard order, or why there are none."""

    shard: Shard
    translations: list[Translation] | None = None
    error: BaseException | None = None
    load_seconds: float = 0.0  # spent loading the engine first, on a worker that had not yet
    loaded: bool = False  # the worker loaded the engine for this shard


class Runner(Protocol):
    capacity: int  # shards worth having in flight at once

    def __enter__(self) -> "Runner":
        """Start the workers; each loads its model once, on its first shard."""
        ...

    def __exit__(self, kind, value, traceback) -> None:
        """Stop the workers; on KeyboardInterrupt without waiting for the shards in flight."""
        ...

    def submit(self, spec: EngineSpec, shard: Shard) -> None:
        """Start translating `shard` with the engine `spec` on the next free worker."""
        ...

    def running(self) -> int:
        """Shards submitted and not yet collected."""
        ...

    def next_done(self) -> ShardDone:
        """Wait for a shard to finish; a worker that died gives WorkerDied as the shard's error."""
        ...

    def restart(self) -> None:
        """Replace workers that died; called once no shard is running."""
        ...
