"""Where shards run, behind one small protocol (`base.Runner`) that the translation core knows alone.

`choose_runner` picks the runner a flow asked for; a new runner is one module here and one branch there.
"""

from __future__ import annotations

from babelflow.config import Settings
from babelflow.tasks.engines import EngineSpec, needs_model
from babelflow.tasks.runners.base import Runner, ShardDone, WorkerDied

__all__ = ["Runner", "ShardDone", "WorkerDied", "choose_runner", "visible_gpus"]


def choose_runner(spec: EngineSpec, config: Settings) -> Runner:
    """The runner the config asks for. Locally: one worker in this process, or worker processes that each
    load the model once, by default one per visible GPU, else `workers`, each on its own GPU or with its
    share of the CPU cores. On Ray: long-lived model replicas, one per GPU of the cluster by default."""
    if config.runner == "ray":
        from babelflow.tasks.runners.ray_actors import RayRunner

        return RayRunner(spec, config.workers, config.ray_address, config.ray_init)
    from babelflow.tasks.runners.prefect_tasks import PrefectRunner, in_process, process_slots

    gpus = visible_gpus(spec)
    count = config.workers or max(gpus, 1)
    return PrefectRunner([in_process()] if count == 1 else process_slots(count, gpus))


def visible_gpus(spec: EngineSpec) -> int:
    """GPUs the workers may spread over: none for engines without a model or a device chosen by hand."""
    if not needs_model(spec.name) or spec.device not in ("auto", "cuda"):
        return 0
    import torch

    return torch.cuda.device_count()
