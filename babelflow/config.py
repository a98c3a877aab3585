"""Run configuration: one validated object, from a YAML file, the command line, or both."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from babelflow.languages import parse_targets, to_code

DEFAULT_MODEL = "facebook/mbart-large-50-many-to-many-mmt"
ENGINE_ALIASES = {"mbart": "hf"}  # the hf engine's name when it ran only mBART-50


# The kinds of text a run can protect from translation (tasks/protect.py has their patterns).
PROTECTED = ("urls", "emails", "paths", "handles", "hashtags", "placeholders", "code")


class ConfigError(ValueError):
    pass


class Settings(BaseModel):
    """What every flow's config shares: where the input is, where the output goes, which engine and model,
    how many workers, and the schedule."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    sources: list[str] = Field(min_length=1)
    out: str
    engine: str = "hf"  # a registered engine (babelflow.tasks.engines), checked before the run starts
    model: str = DEFAULT_MODEL
    workers: int | None = Field(None, ge=1)  # default: one per visible GPU, else 1 (with Ray: per GPU of the cluster)
    runner: Literal["local", "ray"] = "local"  # where shards run: worker processes here, or model replicas on Ray
    ray_address: str | None = None  # auto, ray://HOST:PORT or HOST:PORT; none: a Ray instance of this run's own
    ray_init: dict[str, Any] = {}  # more ray.init() arguments (runtime_env, namespace, ...)
    text_column: str = "text"
    beams: int = Field(1, ge=1)
    max_batch_tokens: int = Field(8192, ge=64)
    shard_tokens: int = Field(65536, ge=64)
    device: str = "auto"
    cache: str | None = None  # translation cache folder or URL; default DEST/.babelflow/cache
    storage: dict[str, dict[str, Any]] = {}  # fsspec options per protocol, e.g. s3: {endpoint_url: ...}
    schedule: str | None = None  # cron, for `babelflow serve`
    max_document_size: int = Field(64 * 2**20, ge=1)  # bytes; documents read whole (not corpora) above it fail
    allow_pickle: bool = False  # load pickle (.bin) checkpoints, which can run code; safetensors need no opt-in
    protect: list[str] = Field(default_factory=lambda: list(PROTECTED))  # kinds of text the engine never translates
    glossary: str | None = None  # CSV, TSV or TBX of terms to write as it says (tasks/glossary.py)

    @field_validator("engine", mode="before")
    @classmethod
    def _engine(cls, value: str) -> str:
        return ENGINE_ALIASES.get(value, value)

    @field_validator("max_document_size", mode="before")
    @classmethod
    def _size(cls, value: int | str) -> int:
        return parse_size(value)

    @field_validator("protect")
    @classmethod
    def _protect(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(PROTECTED))
        if unknown:
            raise ValueError(f"protect: unknown kind {', '.join(unknown)}; choose from {', '.join(PROTECTED)}")
        return value

    @field_validator("sources", mode="before")
    @classmethod
    def _sources(cls, value: str | list[str]) -> list[str]:
        return [value] if isinstance(value, str) else value


class RunConfig(Settings):
    """`babelflow translate`, and run configs without `flow:` or with `flow: translate_documents`."""

    flow: Literal["translate_documents"] = "translate_documents"
    to: list[str] = Field(min_length=1)
    src_lang: str = Field("auto", alias="from")
    force: bool = False  # translate every source again, changed or not
    prune: bool = False  # delete the outputs of sources that disappeared since the last run
    on_suspect: Literal["keep", "retry", "fail"] = "keep"  # degenerate translations: flag, retry, or fail the document
    part: tuple[int, int] | None = None  # (I, N): this driver's share of the sources, one of N side by side

    @field_validator("part", mode="before")
    @classmethod
    def _part_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", value)
            if not match:
                raise ValueError(f"--part {value!r}: write I/N, e.g. 0/4 (parts numbered from 0)")
            return int(match.group(1)), int(match.group(2))
        return value

    @field_validator("part")
    @classmethod
    def _part(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and not 0 <= value[0] < value[1]:
            raise ValueError(f"--part {value[0]}/{value[1]}: I runs from 0 to N-1"
                             f" (for a Slurm array: --array=0-{max(value[1] - 1, 0)})")
        return value

    @field_validator("to", mode="before")
    @classmethod
    def _targets(cls, value: str | list[str]) -> list[str]:
        return parse_targets(value)

    @field_validator("src_lang")
    @classmethod
    def _source(cls, value: str) -> str:
        return "auto" if value.strip().lower() == "auto" else to_code(value)


SAMPLING = ("sample", "topk")  # decoded by sampling: each of --n samples drawn anew


class Filters(BaseModel):
    """What back-translation drops, each counted in the manifest; each on by default but `min_score`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    empty: bool = True  # no text in the output
    copy_: bool = Field(True, alias="copy")  # the output is the input again (case and spacing aside)
    max_ratio: float | None = Field(3.0, gt=1)  # length against the expected length for the pair, either way
    language: bool = True  # the output is surely in another language than --to
    duplicate: bool = True  # the same (input, output) pair again
    min_score: float | None = None  # mean token log-probability below this


class BackTranslateConfig(Settings):
    """`babelflow back-translate`, and run configs with `flow: back_translate`."""

    flow: Literal["back_translate"] = "back_translate"
    src_lang: str = Field(alias="from")  # the monolingual text's language (the MT system's target)
    to: str  # the synthetic sources' language
    method: Literal["sample", "topk", "beam", "greedy", "noised-beam"] = "topk"
    topk: int = Field(10, ge=1)
    temperature: float = Field(1.0, gt=0)
    n: int = Field(1, ge=1)  # outputs per input (sampling and noised-beam methods)
    seed: int = 0
    tag: str | None = None  # put in front of every synthetic source (tagged back-translation)
    round_trip: bool = False  # translate each synthetic source back too (paraphrases)
    id_column: str = "id"  # of a corpus; rows without one are numbered
    filters: Filters = Filters()
    keep_rejected: bool = False  # write dropped rows, with why, to DEST/rejected/
    beams: int = Field(4, ge=1)  # for beam and noised-beam

    @field_validator("src_lang", "to")
    @classmethod
    def _language(cls, value: str) -> str:
        if "," in value or value.strip().lower() == "auto":
            raise ValueError(f"{value!r}: back-translation goes from one given language to one other")
        return to_code(value)

    @model_validator(mode="after")
    def _check(self) -> "BackTranslateConfig":
        if self.src_lang == self.to:
            raise ValueError(f"--from and --to are both {self.to}: back-translation needs two languages")
        if self.n > 1 and self.method in ("beam", "greedy"):
            raise ValueError(f"--n {self.n} with --method {self.method}: a search gives one output per input;"
                             " use a sampling method (sample, topk) or noised-beam for several")
        if self.tag is not None and not self.tag.strip():
            raise ValueError("--tag is empty")
        return self


def validate_config(settings: dict) -> RunConfig | BackTranslateConfig:
    """The config of the flow it names (`flow:`, translate_documents by default)."""
    kind = BackTranslateConfig if settings.get("flow") == "back_translate" else RunConfig
    return kind.model_validate(settings)


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
