"""Keep credentials out of everything babelflow writes or prints: manifests, artifacts, logs, errors."""

from __future__ import annotations

import os
import re

_URL_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@")
_SECRET_NAMES = ("SECRET", "TOKEN", "PASSWORD", "CONNECTION_STRING", "SAS", "ACCOUNT_KEY", "ACCESS_KEY")
_registered: set[str] = set()


def register(value: object) -> None:
    """A secret from a run config (storage options) to hide from now on."""
    if isinstance(value, str) and len(value) >= 4:
        _registered.add(value)


def redact(message: str) -> str:
    message = _URL_CREDENTIALS.sub("***@", message)
    secrets = set(_registered)
    secrets.update(v for k, v in os.environ.items() if len(v) >= 4 and any(n in k.upper() for n in _SECRET_NAMES))
    for secret in sorted(secrets, key=len, reverse=True):
        message = message.replace(secret, "***")
    return message
