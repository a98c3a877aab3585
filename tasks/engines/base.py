"""The engine contract: plain sentences in, translations out, in the same order."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

from babelflow.documents import Alignment, Translation


STOP = threading.Event()  # set when the run is interrupted: engines stop at their next decoding step
_batch_listener: Callable[[int], None] | None = None


def on_batches(listener: Callable[[int], None] | None) -> None:
    """Hear, in this process, how many texts each model batch finished: progress finer than a shard."""
    global _batch_listener
    _batch_listener = listener


def batch_done(texts: int) -> None:
    if _batch_listener is not None:
        _batch_listener(texts)


class Interrupted(RuntimeError):
    """The run was interrupted while this engine was translating."""


class ModelNotFound(RuntimeError):
    """The model can neither be found locally nor downloaded."""


@dataclass(frozen=True)
class EngineSpec:
    """Everything that decides an engine's output; hashable, picklable, sent to workers."""

    name: str = "hf"
    model: str = "facebook/mbart-large-50-many-to-many-mmt"
    beams: int = 1
    max_batch_tokens: int = 8192
    device: str = "auto"
    no_repeat_ngram: int = 0  # forbid repeating any n-gram of this size (0: allowed), for retries of looping output
    allow_pickle: bool = False  # load pickle checkpoints (can run code); safetensors otherwise
    sample: bool = False  # sample each token instead of searching (back-translation)
    topk: int = 0  # sample among the k likeliest tokens (0: among all)
    temperature: float = 1.0
    seed: int = 0  # with sample_index and the text itself, decides every random draw of a text
    sample_index: int = 0  # which of a text's samples this is
    scores: bool = False  # also give each translation's mean token log-probability


# The fields of EngineSpec that decide how an engine decodes (the rest say where and how fast): they
# key the cache, and engines that differ only in them share one loaded model.
DECODING = ("beams", "no_repeat_ngram", "sample", "topk", "temperature", "seed", "sample_index", "scores")


class Engine(Protocol):
    def translate(self, texts: Sequence[str], src: str, tgt: str) -> list[Translation]:
        """Translate `texts` from language `src` to `tgt` (babelflow.languages codes); one result per input,
        same order."""
        ...

    def align(self, sources: Sequence[str], targets: Sequence[str], src: str, tgt: str) -> list[Alignment]:
        """Which part of each source produced which part of its translation (character ranges)."""
        ...

    def score(self, sources: Sequence[str], targets: Sequence[str], src: str, tgt: str) -> list[float | None]:
        """The mean log-probability the model gives each target token (its end included), given the
        source; None from an engine without a model."""
        ...
