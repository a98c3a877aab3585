"""Translation engines behind one interface: a registry of loaders (the one place that says which
engines exist and which run a model checkpoint), each engine loaded once per worker process."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Callable

from babelflow.languages import LANGUAGES, MBART50, UnsupportedLanguage
from babelflow.tasks.engines.base import DECODING, STOP, Engine, EngineSpec, ModelNotFound
from babelflow.tasks.engines.hub import UnsafeModel, model_revision, refuse_custom_code, resolve_model

if TYPE_CHECKING:
    from babelflow.tasks.engines.families import ModelLanguages


@dataclass(frozen=True)
class EngineType:
    load: Callable[[EngineSpec], Engine]  # called once per worker process
    needs_model: bool  # runs a model checkpoint: found, checked and versioned before a run starts
    samples: bool  # can sample reproducibly per text (EngineSpec.sample)


ENGINES: dict[str, EngineType] = {}
_LOADED: dict[EngineSpec, Engine] = {}


def register(name: str, load: Callable[[EngineSpec], Engine], *, needs_model: bool = False,
             samples: bool = False) -> None:
    """Make engine `name` available to every flow, the CLI and the config (`engine: name`)."""
    ENGINES[name] = EngineType(load, needs_model, samples)


def check_engine(name: str) -> None:
    if name not in ENGINES:
        raise UnknownEngine(f"unknown engine {name!r}; choose from {', '.join(ENGINES)}")


def needs_model(name: str) -> bool:
    return name in ENGINES and ENGINES[name].needs_model


def samples(name: str) -> bool:
    return name in ENGINES and ENGINES[name].samples


def model_label(spec: EngineSpec) -> str:
    """What the segments table records as `model`."""
    return spec.model if needs_model(spec.name) else ""


def _hf(spec: EngineSpec) -> Engine:
    from babelflow.tasks.engines.hf import HFEngine

    return HFEngine(spec)


def _ct2(spec: EngineSpec) -> Engine:
    from babelflow.tasks.engines.ct2 import CT2Engine

    return CT2Engine(spec)


def _pseudo(spec: EngineSpec) -> Engine:
    from babelflow.tasks.engines.pseudo import PseudoEngine

    return PseudoEngine()


def _identity(spec: EngineSpec) -> Engine:
    from babelflow.tasks.engines.identity import IdentityEngine

    return IdentityEngine()


register("hf", _hf, needs_model=True, samples=True)
# CTranslate2 samples with one random generator per thread, seeded once: a text's sample would depend
# on what that thread drew before, so it cannot be reproduced per text. It searches (beam, greedy).
register("ct2", _ct2, needs_model=True)
register("pseudo", _pseudo)
register("identity", _identity)


def prepare_engine(spec: EngineSpec) -> str:
    """Make sure the engine can run here (it exists; its model is found or downloaded, needs no code of
    its own, and has safetensors weights unless pickle is allowed; else ModelNotFound, or its subclass
    UnsafeModel) and return its cache key: what decides its output, hashed."""
    check_engine(spec.name)
    revision = ""
    if needs_model(spec.name):
        path = resolve_model(spec.model, allow_pickle=spec.allow_pickle)
        refuse_custom_code(path, spec.model)
        revision = model_revision(path)
    return hashlib.sha256(json.dumps(_identity_of(spec, revision)).encode()).hexdigest()[:16]


def model_languages(spec: EngineSpec) -> ModelLanguages | None:
    """What the engine's model translates from and into, read from its tokenizer and config (no weights
    loaded); None for an engine without a model, which takes any language."""
    if not needs_model(spec.name):
        return None
    return _languages(resolve_model(spec.model, allow_pickle=spec.allow_pickle))


@lru_cache(maxsize=4)
def _languages(path: str) -> ModelLanguages:
    from babelflow.tasks.engines.model_text import ModelText

    try:
        return ModelText(path).languages
    except UnsupportedLanguage as exc:
        raise UnsupportedPair(f"model {path}: {exc}") from None


def source_languages(spec: EngineSpec) -> frozenset[str]:
    """The languages `--from auto` may choose among: those the model reads (every language babelflow
    names, for a model that takes any source); mBART-50's for an engine without a model, as the default
    model's."""
    languages = model_languages(spec)
    if languages is None:
        return frozenset(MBART50)
    return languages.sources if languages.sources is not None else frozenset(LANGUAGES)


def check_languages(spec: EngineSpec, src: str | None, targets: list[str]) -> None:
    """A pair the model cannot translate is a usage error before any work starts (a Marian en-de model
    asked for French)."""
    languages = model_languages(spec)
    if languages is not None:
        try:
            languages.check(src, targets, spec.model)
        except UnsupportedLanguage as exc:
            raise UnsupportedPair(str(exc)) from None


def _identity_of(spec: EngineSpec, revision: str) -> list:
    """Engine, model, revision and every decoding setting that is not at its default: a setting added
    later (sampling, a seed, several outputs per input) keys its own cache without changing the keys
    that earlier runs wrote."""
    # "mbart": the name the hf engine had when it ran only mBART-50, kept so that caches stay valid
    identity: list = ["mbart" if spec.name == "hf" else spec.name, model_label(spec), revision, spec.beams]
    if spec.no_repeat_ngram:
        identity.append(spec.no_repeat_ngram)
    default = EngineSpec()
    others = {f: getattr(spec, f) for f in DECODING if f not in ("beams", "no_repeat_ngram")
              and getattr(spec, f) != getattr(default, f)}
    return identity + [others] if others else identity


def _same_model(spec: EngineSpec) -> list[tuple[EngineSpec, Engine]]:
    """Engines loaded in this process that differ from `spec` only in how they decode."""
    decoding = {f: getattr(spec, f) for f in DECODING}
    return [(s, e) for s, e in _LOADED.items() if replace(s, **decoding) == spec]


def is_loaded(spec: EngineSpec) -> bool:
    """Whether this process holds the model of `spec` already (loaded for it, or for a decoding variant)."""
    return bool(_same_model(spec))


def load_engine(spec: EngineSpec) -> Engine:
    """The engine for `spec`, built on first use in this process and reused after. Engines that differ
    only in how they decode (a retry's beams) share one loaded model: model engines read those settings
    from their `spec`."""
    if spec not in _LOADED:
        loaded = next((e for _, e in _same_model(spec) if hasattr(e, "spec")), None)
        if loaded is not None:
            engine = copy.copy(loaded)
            engine.spec = spec
        else:
            engine = ENGINES[spec.name].load(spec)
        _LOADED[spec] = engine
    return _LOADED[spec]


class UnknownEngine(ModelNotFound):
    """No engine of that name is registered: a usage error, like a model that is not there."""


class UnsupportedPair(ModelNotFound):
    """The model cannot translate between these languages: a usage error, like a model that is not there."""


__all__ = ["DECODING", "ENGINES", "STOP", "Engine", "EngineSpec", "ModelNotFound", "UnknownEngine", "UnsafeModel",
           "UnsupportedPair", "check_engine", "check_languages", "is_loaded", "load_engine", "model_label",
           "model_languages", "needs_model", "prepare_engine", "register", "samples", "source_languages"]
