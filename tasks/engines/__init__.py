"""Translation engines behind one interface, loaded once per worker process."""

from __future__ import annotations

from tasks.engines.base import Engine, EngineSpec, ModelNotFound

_LOADED: dict[EngineSpec, Engine] = {}


def _load_mbart(spec: EngineSpec) -> Engine:
    from tasks.engines.mbart import MBartEngine

    return MBartEngine(spec)


def _load_pseudo(spec: EngineSpec) -> Engine:
    from tasks.engines.pseudo import PseudoEngine

    return PseudoEngine()


def _load_identity(spec: EngineSpec) -> Engine:
    from tasks.engines.identity import IdentityEngine

    return IdentityEngine()


LOADERS = {"mbart": _load_mbart, "pseudo": _load_pseudo, "identity": _load_identity}


def load_engine(spec: EngineSpec) -> Engine:
    """The engine for `spec`, built on first use in this process and reused after."""
    if spec not in _LOADED:
        _LOADED[spec] = LOADERS[spec.name](spec)
    return _LOADED[spec]


__all__ = ["Engine", "EngineSpec", "ModelNotFound", "LOADERS", "load_engine"]
