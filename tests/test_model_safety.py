"""Model loading never runs a checkpoint's code: no custom modeling code, no pickle unless asked for."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tiny_model import save_pickle_weights

TEXT = "The quick brown fox jumps over the lazy dog.\n\nIt was a sunny day!\n"


@pytest.fixture
def source(tmp_path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text(TEXT)
    return src


@pytest.fixture
def model_copy(tiny_model, tmp_path) -> Path:
    """A private copy of the session's tiny model, free to change."""
    return Path(shutil.copytree(tiny_model, tmp_path / "model"))


def translate(cli, source: Path, model: Path | str, out: Path, *options: str) -> tuple[int, str]:
    code, _, err = cli("translate", source, "--to", "fr", "--from", "en", "--out", out, "--model", model, *options)
    return code, err


def outputs(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): p.read_text() for p in sorted((out / "fr").rglob("*")) if p.is_file()}


@pytest.fixture
def expected(cli, source, tiny_model, tmp_path) -> dict[str, str]:
    """What the safetensors model translates `source` to."""
    code, err = translate(cli, source, tiny_model, tmp_path / "expected")
    assert code == 0, err
    return outputs(tmp_path / "expected")


def test_pickle_only_model_is_refused_with_the_ways_out(cli, source, model_copy, tmp_path) -> None:
    save_pickle_weights(model_copy)
    code, err = translate(cli, source, model_copy, tmp_path / "out")
    assert code == 2, err
    assert "babelflow: error:" in err and "pickle" in err and "arbitrary code" in err
    assert "--allow-pickle" in err and "allow_pickle: true" in err and "save_pretrained" in err
    assert not outputs(tmp_path / "out"), "nothing is translated"


def test_allow_pickle_loads_the_same_weights(cli, source, model_copy, expected, tmp_path) -> None:
    save_pickle_weights(model_copy)
    code, err = translate(cli, source, model_copy, tmp_path / "out", "--allow-pickle")
    assert code == 0, err
    assert outputs(tmp_path / "out") == expected


def test_the_conversion_in_the_message_gives_a_safetensors_model(cli, source, model_copy, expected, tmp_path) -> None:
    save_pickle_weights(model_copy)
    _, err = translate(cli, source, model_copy, tmp_path / "refused")
    command = re.search(r"`(python -c .*?)`", err).group(1)
    converted = tmp_path / "converted"
    argv = [sys.executable, *shlex.split(command.replace("DIR", str(converted)))[1:]]
    subprocess.run(argv, check=True, timeout=120, capture_output=True)
    assert (converted / "model.safetensors").is_file() and not list(converted.glob("*.bin"))
    code, err = translate(cli, source, converted, tmp_path / "out")
    assert code == 0, err
    assert outputs(tmp_path / "out") == expected


@pytest.mark.parametrize("allow", [False, True])
def test_safetensors_are_used_when_both_formats_are_there(cli, source, model_copy, expected, tmp_path, allow) -> None:
    (model_copy / "pytorch_model.bin").write_bytes(b"not a pickle: loading it would fail")
    code, err = translate(cli, source, model_copy, tmp_path / "out", *(["--allow-pickle"] if allow else []))
    assert code == 0, err
    assert outputs(tmp_path / "out") == expected


def plant_custom_code(model: Path, marker: Path, model_type: str) -> None:
    """Point every auto_map of the folder at code that leaves `marker` behind when it runs."""
    payload = f"import pathlib\npathlib.Path({str(marker)!r}).write_text('custom code ran')\n"
    (model / "modeling_evil.py").write_text(payload)
    (model / "custom_generate").mkdir()
    (model / "custom_generate" / "generate.py").write_text(payload)
    config = json.loads((model / "config.json").read_text())
    config["model_type"] = model_type
    config["auto_map"] = {
        name: f"modeling_evil.Evil{name}" for name in ("AutoConfig", "AutoModel", "AutoModelForSeq2SeqLM")
    }
    (model / "config.json").write_text(json.dumps(config))
    tokenizer = json.loads((model / "tokenizer_config.json").read_text())
    tokenizer["auto_map"] = {"AutoTokenizer": ["modeling_evil.EvilTokenizer", "modeling_evil.EvilTokenizer"]}
    (model / "tokenizer_config.json").write_text(json.dumps(tokenizer))


@pytest.mark.parametrize("engine", ["mbart", "ct2"])
def test_auto_map_is_ignored_for_a_built_in_architecture(cli, source, model_copy, expected, tmp_path, engine) -> None:
    marker = tmp_path / "marker"
    plant_custom_code(model_copy, marker, "mbart")
    code, err = translate(cli, source, model_copy, tmp_path / "out", "--engine", engine)
    assert not marker.exists(), "the checkpoint's own code must never run"
    assert code == 0, err
    if engine == "mbart":
        assert outputs(tmp_path / "out") == expected


@pytest.mark.parametrize("engine", ["mbart", "ct2"])
def test_custom_architecture_is_refused_without_running_its_code(cli, source, model_copy, tmp_path, engine) -> None:
    marker = tmp_path / "marker"
    plant_custom_code(model_copy, marker, "evil_mbart")
    code, err = translate(cli, source, model_copy, tmp_path / "out", "--engine", engine)
    assert not marker.exists(), "the checkpoint's own code must never run"
    assert code == 2 and "own Python code" in err and "never runs" in err, err
    assert not outputs(tmp_path / "out")


def test_no_prompt_to_trust_custom_code_even_when_someone_would_say_yes(model_copy, tmp_path, monkeypatch) -> None:
    """transformers asks on the terminal when trust_remote_code is left unset; babelflow never leaves it unset.

    Loaded here past the CLI's early refusal, as a worker would, to check the loading itself."""
    from babelflow.tasks.engines import EngineSpec, load_engine

    marker = tmp_path / "marker"
    plant_custom_code(model_copy, marker, "evil_mbart")
    asked: list[str] = []
    monkeypatch.setattr("builtins.input", lambda prompt="": asked.append(prompt) or "y")
    with pytest.raises(ValueError, match="custom code"):
        load_engine(EngineSpec("hf", str(model_copy)))
    assert not asked and not marker.exists()


class FakeHub:
    """The hub client's two calls babelflow makes, against a repo whose files are `files`, served from `folder`."""

    def __init__(self, monkeypatch, files: list[str], folder: Path, cached: bool = False) -> None:
        self.files, self.folder, self.cached = files, folder, cached
        self.downloads: list[list[str]] = []
        monkeypatch.setattr("huggingface_hub.snapshot_download", self.snapshot_download)
        monkeypatch.setattr("huggingface_hub.HfApi.list_repo_files", lambda _, repo: list(self.files))
        monkeypatch.setattr("babelflow.tasks.engines.hub._hub_unreachable", lambda: None)
        monkeypatch.delenv("HF_HUB_OFFLINE")
        monkeypatch.setenv("HF_HUB_ETAG_TIMEOUT", "10")
        monkeypatch.setenv("HF_HUB_DOWNLOAD_TIMEOUT", "30")

    def snapshot_download(self, repo: str, local_files_only: bool = False, allow_patterns=None) -> str:
        if local_files_only:
            if not self.cached:
                raise FileNotFoundError(repo)
            return str(self.folder)
        self.downloads.append(allow_patterns)
        self.cached = True
        return str(self.folder)


def test_hub_repo_with_only_pickle_is_refused_before_download(cli, source, model_copy, tmp_path, monkeypatch) -> None:
    hub = FakeHub(monkeypatch, ["config.json", "pytorch_model.bin", "sentencepiece.bpe.model"], model_copy)
    code, err = translate(cli, source, "acme/pickle-only", tmp_path / "out")
    assert code == 2 and "pickle" in err and "--allow-pickle" in err, err
    assert hub.downloads == []


def test_hub_download_skips_pickle_beside_safetensors(cli, source, model_copy, expected, tmp_path, monkeypatch) -> None:
    hub = FakeHub(monkeypatch, ["config.json", "model.safetensors", "pytorch_model.bin", "tf_model.h5"], model_copy)
    code, err = translate(cli, source, "acme/both-formats", tmp_path / "out")
    assert code == 0, err
    assert len(hub.downloads) == 1 and not any(".bin" in p for p in hub.downloads[0])
    assert outputs(tmp_path / "out") == expected


def test_hub_download_of_pickle_when_allowed(cli, source, model_copy, tmp_path, monkeypatch) -> None:
    save_pickle_weights(model_copy)
    hub = FakeHub(monkeypatch, ["config.json", "pytorch_model.bin"], model_copy)
    code, err = translate(cli, source, "acme/pickle-allowed", tmp_path / "out", "--allow-pickle")
    assert code == 0, err
    assert len(hub.downloads) == 1 and "*.bin*" in hub.downloads[0]


def test_cached_snapshot_with_only_pickle_is_refused(cli, source, model_copy, tmp_path, monkeypatch) -> None:
    save_pickle_weights(model_copy)
    hub = FakeHub(monkeypatch, [], model_copy, cached=True)
    code, err = translate(cli, source, "acme/cached-pickle", tmp_path / "out")
    assert code == 2 and "pickle" in err, err
    assert hub.downloads == [] and not outputs(tmp_path / "out")


def test_config_naming_pickle_weights_is_refused_despite_safetensors(cli, source, model_copy, tmp_path) -> None:
    """transformers loads the file config.json's `transformers_weights` names, before any safetensors."""
    save_pickle_weights(model_copy, keep_safetensors=True)
    (model_copy / "pytorch_model.bin").rename(model_copy / "adapter_model.bin")
    config = json.loads((model_copy / "config.json").read_text())
    (model_copy / "config.json").write_text(json.dumps({**config, "transformers_weights": "adapter_model.bin"}))
    code, err = translate(cli, source, model_copy, tmp_path / "out")
    assert code == 2 and "adapter_model.bin" in err, err
