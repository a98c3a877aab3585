"""Shards on a Ray cluster: long-lived model replicas (Ray actors), one per GPU of the cluster (or one
per CPU share), each loading its model once and serving shard after shard, as Ray Data's actor pools
do. Ray tasks are not used for shards: a GPU task's worker process is recycled after every call
(`max_calls` is 1 when `num_gpus` > 0), which would load a multi-GB model per shard.

Shards carry their texts and come back with translations; the driver keeps parsing, the cache, the
state and all writing, so replicas need only the model. A replica that dies (killed, out of memory,
node lost) reports WorkerDied for its shards, and the core's death accounting does the rest."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any

from babelflow.documents import Shard
from babelflow.tasks.engines import STOP, EngineSpec, ModelNotFound, needs_model
from babelflow.tasks.runners.base import ShardDone, WorkerDied

SHARDS_PER_REPLICA = 2  # in flight per replica: the next shard is ready when one finishes
PLACEMENT_SECONDS = 120  # for the cluster to place a replica; one it cannot place is a clear error, not a hang


@dataclass(eq=False)
class _Replica:
    actor: Any
    running: int = 0
    dead: bool = False


@dataclass
class RayRunner:
    spec: EngineSpec
    replicas: int | None = None  # default: one per GPU of the cluster, else one
    address: str | None = None  # None: a Ray instance of this run's own, on this machine
    init: dict[str, Any] = field(default_factory=dict)
    capacity: int = 0
    pool: list[_Replica] = field(default_factory=list)
    refs: dict = field(default_factory=dict)  # Ray object ref -> (shard, replica)
    started: bool = False  # this runner started Ray (and so shuts it down)
    gpus: int = 0
    threads: int = 0

    def __enter__(self) -> "RayRunner":
        import ray

        if not ray.is_initialized():
            ray.init(address=self.address, log_to_driver=False, **self.init)
            self.started = True
        try:
            self._check_model_on_every_node()
            resources = ray.cluster_resources()
            self.gpus = int(resources.get("GPU", 0)) if needs_model(self.spec.name) else 0
            self._convert_once()
            count = self.replicas or max(self.gpus, 1)
            if not self.gpus:  # a CPU share each, within what one node has
                largest = max(int(n["Resources"].get("CPU", 1)) for n in ray.nodes() if n["Alive"])
                self.threads = max(1, min(largest, int(resources.get("CPU", 1)) // count))
            self.pool = [self._start() for _ in range(count)]
            self._wait_placed(self.pool)
            self.capacity = SHARDS_PER_REPLICA * count
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self) -> _Replica:
        """A replica: one GPU if the cluster has them (Ray sets CUDA_VISIBLE_DEVICES), else a CPU share."""
        options = {"num_gpus": 1} if self.gpus else {"num_cpus": self.threads}
        return _Replica(_replica_class().options(**options).remote())

    def _wait_placed(self, replicas: list[_Replica]) -> None:
        import ray
        from ray.exceptions import GetTimeoutError

        try:
            ray.get([r.actor.ready.remote() for r in replicas], timeout=PLACEMENT_SECONDS)
        except GetTimeoutError:
            asks = "one GPU" if self.gpus else f"{self.threads} CPUs"
            raise RuntimeError(f"the Ray cluster could not place {len(replicas)} model replica(s) asking for {asks}"
                               f" each within {PLACEMENT_SECONDS} s; lower --workers, or add nodes") from None

    def _check_model_on_every_node(self) -> None:
        """A model given as a local folder must be there on every node, before any replica starts."""
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        if not needs_model(self.spec.name) or not os.path.isdir(self.spec.model):
            return
        folder = os.path.abspath(self.spec.model)
        nodes = [n for n in ray.nodes() if n["Alive"]]
        has_folder = ray.remote(num_cpus=0)(_has_folder)
        checks = [has_folder.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False))
                  .remote(folder) for n in nodes]
        missing = [n["NodeManagerAddress"] for n, found in zip(nodes, ray.get(checks)) if not found]
        if missing:
            raise ModelNotFound(f"model folder {folder} is not on Ray node(s) {', '.join(missing)}: copy it"
                                " to the same path on every node, or put it on storage they all mount")

    def _convert_once(self) -> None:
        """CTranslate2's one-time conversion of a local model, here, before the replicas start: not once
        per replica at the same time (beside a shared model folder, once for the whole cluster)."""
        if self.spec.name != "ct2" or not os.path.isdir(self.spec.model):
            return
        from babelflow.tasks.engines.ct2 import converted

        converted(self.spec.model, "bfloat16" if self.gpus else "int8", self.spec.allow_pickle)

    def __exit__(self, kind, value, traceback) -> None:
        """Replicas are killed, not left running: on an interrupt at once, with their shards cancelled."""
        import ray

        try:
            for ref in list(self.refs):
                ray.cancel(ref)
            for replica in self.pool:
                ray.kill(replica.actor)
        finally:
            self.refs.clear()
            self.pool = []
            if self.started:
                ray.shutdown()
                self.started = False

    def submit(self, spec: EngineSpec, shard: Shard) -> None:
        replica = min((r for r in self.pool if not r.dead), key=lambda r: r.running)
        if needs_model(spec.name) and os.path.isdir(spec.model):  # replicas run in folders of their own
            spec = replace(spec, model=os.path.abspath(spec.model))
        ref = replica.actor.translate.remote(spec, shard, self.threads)
        replica.running += 1
        self.refs[ref] = (shard, replica)

    def running(self) -> int:
        return len(self.refs)

    def next_done(self) -> ShardDone:
        import ray
        from ray.exceptions import RayError, RayTaskError

        ready: list = []
        while not ready:  # in short waits, so that an interrupt is seen
            if STOP.is_set():
                raise KeyboardInterrupt
            ready, _ = ray.wait(list(self.refs), num_returns=1, timeout=0.5)
        shard, replica = self.refs.pop(ready[0])
        replica.running -= 1
        try:
            result = ray.get(ready[0])
            return ShardDone(shard, result.translations, load_seconds=result.load_seconds, loaded=result.loaded)
        except RayTaskError as exc:  # the shard's own error, raised in the replica
            return ShardDone(shard, error=exc.cause if exc.cause is not None else exc)
        except RayError as exc:  # the replica, its node or its result is gone
            replica.dead = True
            return ShardDone(shard, error=WorkerDied(f"its Ray replica died ({type(exc).__name__})"))

    def restart(self) -> None:
        """Replace dead replicas; where the cluster can no longer place one (a node lost), go on with
        the others."""
        import ray

        started = []
        for i, replica in enumerate(self.pool):
            if replica.dead:
                ray.kill(replica.actor)
                self.pool[i] = self._start()
                started.append(self.pool[i])
        try:
            self._wait_placed(started)
        except RuntimeError:
            if not any(r not in started for r in self.pool):
                raise
            for replica in started:
                ray.kill(replica.actor)
            self.pool = [r for r in self.pool if r not in started]
            self.capacity = SHARDS_PER_REPLICA * len(self.pool)


def _replica_class():
    """The replica actor, defined when Ray is first used (importing this module needs no Ray)."""
    import ray

    global _REPLICA
    if _REPLICA is None:
        @ray.remote(max_restarts=0, max_task_retries=0)
        class Replica:
            def ready(self) -> bool:
                return True

            def translate(self, spec: EngineSpec, shard: Shard, threads: int):
                from babelflow.tasks.translate import translate_shard

                return translate_shard(spec, shard, threads)

        _REPLICA = Replica
    return _REPLICA


_REPLICA = None


def _has_folder(path: str) -> bool:
    return os.path.isdir(path)
