"""Translation engines behind one interface, loaded once per worker process."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import replace

from tasks.engines.base import MODEL_ENGINES, STOP, Engine, EngineSpec, ModelNotFound
from tasks.engines.hub import UnsafeModel, model_revision, refuse_custom_code, resolve_model

_LOADED: dict[EngineSpec, Engine] = {}


def _load_mbart(spec: EngineSpec) -> Engine:
    from tasks.engines.mbart import MBartEngine

    return MBartEngine(spec)


def _load_ct2(spec: EngineSpec) -> Engine:
    from tasks.engines.ct2 import CT2Engine

    return CT2Engine(spec)


def _load_pseudo(spec: EngineSpec) -> Engine:
    from tasks.engines.pseudo import PseudoEngine

    return PseudoEngine()


def _load_identity(spec: EngineSpec) -> Engine:
    from tasks.engines.identity import IdentityEngine

    return IdentityEngine()


LOADERS = {"mbart": _load_mbart, "ct2": _load_ct2, "pseudo": _load_pseudo, "identity": _load_identity}


def prepare_engine(spec: EngineSpec) -> str:
    """Make sure the engine can run here (the model is found or downloaded, needs no code of its own, and has
    safetensors weights unless pickle is allowed; else ModelNotFound, or its subclass UnsafeModel) and
    return its cache key: what decides its output (engine, model and revision, beams), hashed."""
    revision = ""
    if spec.name in MODEL_ENGINES:
        path = resolve_model(spec.model, allow_pickle=spec.allow_pickle)
        refuse_custom_code(path, spec.model)
        revision = model_revision(path)
    identity = json.dumps([spec.name, spec.model_label, revision, spec.beams] + ([spec.no_repeat_ngram] if spec.no_repeat_ngram else []))
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


def load_engine(spec: EngineSpec) -> Engine:
    """The engine for `spec`, built on first use in this process and reused after. Engines that differ
    only in how they decode (a retry's beams) share one loaded model: model engines read those settings
    from their `spec`."""
    if spec not in _LOADED:
        decoding = {"beams": spec.beams, "no_repeat_ngram": spec.no_repeat_ngram}
        loaded = next((e for s, e in _LOADED.items() if replace(s, **decoding) == spec and hasattr(e, "spec")), None)
        if loaded is not None:
            engine = copy.copy(loaded)
            engine.spec = spec
        else:
            engine = LOADERS[spec.name](spec)
        _LOADED[spec] = engine
    return _LOADED[spec]


__all__ = ["MODEL_ENGINES", "STOP", "Engine", "EngineSpec", "ModelNotFound", "UnsafeModel", "LOADERS", "load_engine", "prepare_engine"]
