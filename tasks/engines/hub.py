"""Where model weights come from: a local folder, the Hugging Face cache, or one download."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from tasks.engines.base import ModelNotFound

_WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")


def resolve_model(model: str) -> str:
    """A local directory holding the model, downloading it once if allowed; fails fast otherwise."""
    path = Path(model).expanduser()
    if path.is_dir():
        if not any((path / f).exists() for f in _WEIGHT_FILES):
            raise ModelNotFound(f"model directory {model} holds no weights (expected one of {', '.join(_WEIGHT_FILES)})")
        return str(path)
    if model.startswith((".", "/", "~")) or model.count("/") > 1:
        raise ModelNotFound(f"model directory {model} does not exist")
    from huggingface_hub import snapshot_download

    hint = (
        f"model {model!r} is not in the local Hugging Face cache and could not be downloaded"
        f" ({{reason}}). On a machine with internet run `hf download {model} --local-dir DIR`,"
        " copy DIR here and pass `--model DIR`, or set HF_HOME to a cache that holds it."
    )
    try:
        return snapshot_download(model, local_files_only=True)
    except Exception:
        pass
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}:
        raise ModelNotFound(hint.format(reason="HF_HUB_OFFLINE is set"))
    unreachable = _hub_unreachable()
    if unreachable:
        raise ModelNotFound(hint.format(reason=unreachable))
    os.environ.setdefault("HF_HUB_ETAG_TIMEOUT", "10")
    os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", "30")
    try:
        from huggingface_hub import HfApi

        files = HfApi().list_repo_files(model)
        weights = "*.safetensors*" if any(f.endswith(".safetensors") for f in files) else "*.bin*"
        return snapshot_download(model, allow_patterns=["*.json", "*.model", "*.txt", weights])
    except Exception as exc:
        raise ModelNotFound(hint.format(reason=f"{type(exc).__name__}: {exc}".splitlines()[0][:300])) from exc


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
