"""The translation core every flow calls: unique (src, tgt, text) keys in; translations, per-key
errors and suspects out.

It owns what sits between keys and engines: answers from the persistent cache, shards of what the
cache lacks, dispatch to a runner (where shards run is the runner's business), each finished shard
written to the cache at once (so a killed run resumes after it), and the `--on-suspect retry` pass.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping

from babelflow.config import Settings
from babelflow.connectors.sinks import join
from babelflow.documents import Shard, Translation, exact_alignment, has_letters
from babelflow.tasks.cache import TranslationCache
from babelflow.tasks.dispatch import Dispatched, run_shards
from babelflow.tasks.engines import EngineSpec, prepare_engine
from babelflow.tasks.runners import Runner
from babelflow.tasks.shard import Key, make_shards
from babelflow.tasks.suspect import suspect

RETRY_BEAMS = 4  # --on-suspect retry: beam search of at least this width,
RETRY_NO_REPEAT = 3  # and no n-gram of this many tokens twice


def engine_spec(config: Settings, **decoding) -> EngineSpec:
    """The engine setting a run config asks for; `decoding` sets how it decodes (see engines.DECODING)."""
    spec = EngineSpec(config.engine, config.model, config.beams, config.max_batch_tokens, config.device,
                      allow_pickle=config.allow_pickle)
    return replace(spec, **decoding)


def cache_root(config: Settings) -> str:
    return config.cache or join(config.out, ".babelflow", "cache")


@dataclass
class Results:
    """What a batch of keys got: translations, which of them the cache answered, which failed (and
    why), which look degenerate (and why), and how many texts went to the engine."""

    translated: dict[Key, Translation]
    cached: set[Key]
    errors: dict[Key, str]
    suspects: dict[Key, str]
    sent: int
    worker_deaths: int = 0
    load_seconds: float = 0.0  # the longest a worker spent loading its engine
    model_loads: int = 0


class Translator:
    """One engine setting, its cache and a runner, for a whole run; `translate` is called per group
    of keys, so a corpus of any size streams through in flat memory."""

    def __init__(self, spec: EngineSpec, cache_root: str, runner: Runner, *, shard_tokens: int,
                 on_suspect: str = "keep", progress=None) -> None:
        from tqdm import tqdm

        self.spec = spec
        self.cache_root = cache_root
        self.runner = runner
        self.shard_tokens = shard_tokens
        self.on_suspect = on_suspect
        self.progress = progress if progress is not None else tqdm(total=0, disable=True)
        self.engine_key = prepare_engine(spec)
        self.cache = TranslationCache(cache_root, self.engine_key).open()
        self.retry_cache: TranslationCache | None = None

    def translate(self, requests: Mapping[Key, bool]) -> Results:
        """Translate each key once; `requests` says per key whether its translation needs a word
        alignment (for inline markup). Text already in the target language, and text without a letter
        (numbers, punctuation, symbols), is its own translation: a model has nothing to do there but
        make things up."""
        own = {k: aligned for k, aligned in requests.items() if k[0] == k[1] or not has_letters(k[2])}
        translated = self.cache.lookup(set(requests) - set(own))
        cached = set(translated)
        for key, aligned in own.items():
            translated[key] = Translation(key[2], tuple(exact_alignment(len(key[2]))) if aligned else None)
        shards, dispatched = self._run(self.spec, self.cache, requests, translated)
        suspects = {k: why for k in requests if k not in own and k in translated
                    and (why := suspect(k[2], translated[k].text, k[0], k[1]))}
        results = Results(translated, cached, dispatched.errors, suspects, sum(len(s.texts) for s in shards),
                          dispatched.worker_deaths, dispatched.load_seconds, dispatched.model_loads)
        if suspects and self.on_suspect == "retry":
            self._retry(requests, results)
        return results

    def _run(self, spec: EngineSpec, cache: TranslationCache, requests: Mapping[Key, bool],
             translated: dict[Key, Translation]) -> tuple[list[Shard], Dispatched]:
        """Shards of what `translated` lacks, through the runner; finished shards are cached at once."""
        shards = make_shards(requests, self.shard_tokens, translated)
        self.progress.total += sum(len(s.texts) for s in shards)

        def finished(shard: Shard, outputs: list[Translation]) -> None:
            cache.add(shard, outputs)
            translated.update(((shard.src, shard.tgt, t), o) for t, o in zip(shard.texts, outputs))

        return shards, run_shards(self.runner, spec, shards, finished, self.progress)

    def _retry(self, requests: Mapping[Key, bool], results: Results) -> None:
        """Suspect texts once more with beam search and no repeated 3-grams (cached under that engine
        setting); a retry that no longer looks degenerate replaces the first translation."""
        retry = replace(self.spec, beams=max(self.spec.beams, RETRY_BEAMS), no_repeat_ngram=RETRY_NO_REPEAT)
        if self.retry_cache is None:
            self.retry_cache = TranslationCache(self.cache_root, prepare_engine(retry)).open()
        suspects = results.suspects
        again = self.retry_cache.lookup(set(suspects))
        _, dispatched = self._run(retry, self.retry_cache, {k: requests[k] for k in suspects}, again)
        results.worker_deaths += dispatched.worker_deaths  # a failed retry keeps the first translation
        results.model_loads += dispatched.model_loads
        for key, new in again.items():
            if key in suspects and suspect(key[2], new.text, key[0], key[1]) is None:
                results.translated[key] = new
                del suspects[key]
