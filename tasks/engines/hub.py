"""Where model weights come from: a local folder, the Hugging Face cache, or one download; and that
loading them runs no code that came with them (pickle weights only on request, never custom code)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from babelflow.tasks.engines.base import ModelNotFound

SAFE_WEIGHTS = ("model.safetensors", "model.safetensors.index.json")
PICKLE_WEIGHTS = ("pytorch_model.bin", "pytorch_model.bin.index.json")
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt")
SAFE_SUFFIXES = (".safetensors", ".safetensors.index.json")


class UnsafeModel(ModelNotFound):
    """Loading the model would run code that came with it: pickle weights not allowed, or its own architecture code."""


def resolve_model(model: str, allow_pickle: bool = False) -> str:
    """A local directory holding the model, downloading it once if allowed; fails fast otherwise.

    Pickle weights are refused unless `allow_pickle`, before anything is downloaded or loaded.
    """
    path = Path(model).expanduser()
    if path.is_dir():
        return _check_weights(str(path), model, allow_pickle)
    if model.startswith((".", "/", "~")) or model.count("/") > 1:
        raise ModelNotFound(f"model directory {model} does not exist")
    from huggingface_hub import snapshot_download

    hint = (
        f"model {model!r} is not in the local Hugging Face cache and could not be downloaded"
        f" ({{reason}}). On a machine with internet run `hf download {model} --local-dir DIR`,"
        " copy DIR here and pass `--model DIR`, or set HF_HOME to a cache that holds it."
    )
    try:
        cached = snapshot_download(model, local_files_only=True)
    except Exception:
        cached = None
    if cached:
        return _check_weights(cached, model, allow_pickle)
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}:
        raise ModelNotFound(hint.format(reason="HF_HUB_OFFLINE is set"))
    unreachable = _hub_unreachable()
    if unreachable:
        raise ModelNotFound(hint.format(reason=unreachable))
    os.environ.setdefault("HF_HUB_ETAG_TIMEOUT", "10")
    os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", "30")
    try:
        from huggingface_hub import HfApi

        files = [f for f in HfApi().list_repo_files(model) if "/" not in f]  # transformers loads the top level
    except Exception as exc:
        raise ModelNotFound(hint.format(reason=_reason(exc))) from exc
    safe = any(f.endswith(".safetensors") for f in files)
    pickles = [f for f in files if f.endswith(PICKLE_SUFFIXES)]
    if not safe and pickles and not allow_pickle:
        raise _unsafe(model, pickles)
    try:
        weights = "*.safetensors*" if safe else "*.bin*"  # never pickle beside safetensors
        folder = snapshot_download(model, allow_patterns=["*.json", "*.model", "*.txt", weights])
    except Exception as exc:
        raise ModelNotFound(hint.format(reason=_reason(exc))) from exc
    return _check_weights(folder, model, allow_pickle)


def _check_weights(folder: str, model: str, allow_pickle: bool) -> str:
    """`folder`, once sure transformers will load safetensors from it, or pickle weights the user allowed.

    Unpickling can run whatever code the file's author put in it; safetensors hold only tensors.
    """
    root = Path(folder)
    weights = _weights_file(root)
    if weights is not None and weights.endswith(SAFE_SUFFIXES):
        return folder
    pickles = [weights] if weights else sorted(p.name for p in root.iterdir() if p.suffix in PICKLE_SUFFIXES)
    if pickles and not allow_pickle:
        raise _unsafe(model, pickles)
    if weights is None:
        expected = ", ".join(SAFE_WEIGHTS + PICKLE_WEIGHTS)
        where = model if Path(model).expanduser() == root else f"{model} ({folder})"
        raise ModelNotFound(f"model directory {where} holds no weights (expected one of {expected})")
    return folder


def refuse_custom_code(folder: str, model: str) -> None:
    """Fail fast, saying why, on a model whose architecture exists only as its own Python code (config.json's
    auto_map): that code is never run (trust_remote_code stays False), so every worker would fail to load it."""
    config = _config(Path(folder))
    if "auto_map" not in config:
        return
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

    if config.get("model_type") not in CONFIG_MAPPING_NAMES:
        raise UnsafeModel(
            f"model {model} needs its own Python code to load (config.json's auto_map), and babelflow never runs"
            " code that comes with a model; use a checkpoint of an architecture built into transformers,"
            " such as mBART-50."
        )


def _config(folder: Path) -> dict:
    try:
        config = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        return {}
    return config if isinstance(config, dict) else {}


def _weights_file(folder: Path) -> str | None:
    """The weights transformers loads from `folder`: those its config names, else safetensors before pickle."""
    named = _config(folder).get("transformers_weights")
    if isinstance(named, str):
        return named
    return next((f for f in SAFE_WEIGHTS + PICKLE_WEIGHTS if (folder / f).is_file()), None)


def _unsafe(model: str, pickles: list[str]) -> UnsafeModel:
    """Why pickle weights are refused, and the two ways out."""
    shown = ", ".join(pickles[:3]) + (", ..." if len(pickles) > 3 else "")
    convert = (
        "python -c \"from transformers import AutoModelForSeq2SeqLM as M, AutoTokenizer as T;"
        f" M.from_pretrained('{model}').save_pretrained('DIR'); T.from_pretrained('{model}').save_pretrained('DIR')\""
    )
    return UnsafeModel(
        f"model {model} has only pickle weights ({shown}), and loading a pickle file can run arbitrary code"
        f" hidden in it. Convert it once to safetensors with `{convert}` and pass `--model DIR`, or, if you"
        " trust where it came from, pass --allow-pickle (allow_pickle: true in a run config)."
    )


def use_safetensors(allow_pickle: bool) -> bool | None:
    """`from_pretrained`'s use_safetensors: True loads only safetensors; None still prefers them but falls
    back to pickle (False would load pickle even when safetensors sit beside it)."""
    return None if allow_pickle else True


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:300]


def _hub_unreachable(timeout: float = 3.0) -> str | None:
    """Why the hub cannot be reached, found in seconds (the hub client retries for much longer)."""
    import socket
    from urllib.parse import urlsplit

    endpoint = urlsplit(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
    try:
        socket.create_connection((endpoint.hostname, port), timeout=timeout).close()
    except OSError as exc:
        return f"{endpoint.hostname}:{port} is unreachable: {exc}"
    return None


def model_revision(path: str) -> str:
    """The hub commit of a cached snapshot, else a fingerprint of the folder's model files."""
    folder = Path(path)
    if folder.parent.name == "snapshots":
        return folder.name
    digest = hashlib.sha256()
    for file in sorted(folder.iterdir()):
        if file.suffix in {".json", ".safetensors", ".bin", ".model"}:
            stat = file.stat()
            digest.update(f"{file.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
            if file.name == "config.json":
                digest.update(file.read_bytes())
    return digest.hexdigest()[:16]
