"""Run configuration: one validated object, from a YAML file, the command line, or both."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from babelflow.languages import parse_targets, to_mbart

DEFAULT_MODEL = "facebook/mbart-large-50-many-to-many-mmt"


class ConfigError(ValueError):
    pass


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    sources: list[str] = Field(min_length=1)
    to: list[str] = Field(min_length=1)
    out: str
    src_lang: str = Field("auto", alias="from")
    engine: str = "mbart"  # a registered engine (babelflow.tasks.engines), checked before the run starts
    model: str = DEFAULT_MODEL
    workers: int | None = Field(None, ge=1)  # default: one per visible GPU, else 1
    text_column: str = "text"
    beams: int = Field(1, ge=1)
    max_batch_tokens: int = Field(8192, ge=64)
    shard_tokens: int = Field(65536, ge=64)
    device: str = "auto"
    cache: str | None = None  # translation cache folder or URL; default DEST/.babelflow/cache
    force: bool = False  # translate every source again, changed or not
    prune: bool = False  # delete the outputs of sources that disappeared since the last run
    storage: dict[str, dict[str, Any]] = {}  # fsspec options per protocol, e.g. s3: {endpoint_url: ...}
    schedule: str | None = None  # cron, for `babelflow serve`
    max_document_size: int = Field(64 * 2**20, ge=1)  # bytes; documents read whole (not corpora) above it fail
    on_suspect: Literal["keep", "retry", "fail"] = "keep"  # degenerate translations: flag, retry, or fail the document
    allow_pickle: bool = False  # load pickle (.bin) checkpoints, which can run code; safetensors need no opt-in

    @field_validator("max_document_size", mode="before")
    @classmethod
    def _size(cls, value: int | str) -> int:
        return parse_size(value)

    @field_validator("to", mode="before")
    @classmethod
    def _targets(cls, value: str | list[str]) -> list[str]:
        return parse_targets(value)

    @field_validator("src_lang")
    @classmethod
    def _source(cls, value: str) -> str:
        return "auto" if value.strip().lower() == "auto" else to_mbart(value)

    @field_validator("sources", mode="before")
    @classmethod
    def _sources(cls, value: str | list[str]) -> list[str]:
        return [value] if isinstance(value, str) else value


_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30}


def parse_size(value: int | str) -> int:
    """Bytes from `20MB`, `1.5GiB`, `500kb` or a plain number."""
    if isinstance(value, int):
        return value
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", str(value))
    if not match or match.group(2).upper() not in _UNITS:
        raise ValueError(f"not a size: {value!r} (write e.g. 20MB, 1GiB or 500000)")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def load_config_file(path: str) -> dict:
    """The YAML file as a dict; relative source and output paths are taken from the file's folder."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"config {path}: expected a mapping of settings")
    base = Path(path).resolve().parent

    def rebase(p: str) -> str:
        return p if "://" in p or Path(p).is_absolute() else str(base / p)

    if isinstance(data.get("sources"), str):
        data["sources"] = [data["sources"]]
    if "sources" in data:
        data["sources"] = [rebase(s) for s in data["sources"]]
    if "out" in data:
        data["out"] = rebase(data["out"])
    return data
