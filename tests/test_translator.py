"""The translation core through its public interface: keys in, results out, on any runner."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import deque
from pathlib import Path

import pytest

from babelflow.config import RunConfig
from babelflow.documents import Shard
from babelflow.tasks.engines import EngineSpec
from babelflow.tasks.runners import ShardDone, WorkerDied, choose_runner
from babelflow.tasks.translate import translate_shard
from babelflow.tasks.translator import Translator

REPO = Path(__file__).resolve().parents[1]
KEYS = {
    ("en_XX", "fr_XX", "A first sentence."): False,
    ("en_XX", "fr_XX", "A second, <b>marked</b> one."): True,
    ("en_XX", "de_DE", "A first sentence."): False,
    ("fr_XX", "fr_XX", "Déjà en français."): True,
    ("en_XX", "fr_XX", "POISON in this one."): False,
    ("en_XX", "fr_XX", "2024 — 12/31, +++ (§ 4.2)"): True,
}


class InlineRunner:
    """A runner written against the protocol alone: shards run here, one at a time, when collected.
    Its 'worker' dies on any shard with POISON, as an out-of-memory kill would."""

    capacity = 3

    def __init__(self) -> None:
        self.pending: deque[tuple[EngineSpec, Shard]] = deque()
        self.submitted: list[tuple[str, int]] = []  # (texts, shards running with it)
        self.restarts = 0

    def __enter__(self) -> "InlineRunner":
        return self

    def __exit__(self, *exc) -> None:
        self.pending.clear()

    def submit(self, spec: EngineSpec, shard: Shard) -> None:
        self.pending.append((spec, shard))
        self.submitted.append((" ".join(shard.texts), len(self.pending)))

    def running(self) -> int:
        return len(self.pending)

    def next_done(self) -> ShardDone:
        spec, shard = self.pending.popleft()
        if any("POISON" in t for t in self.pending_texts(shard)):
            return ShardDone(shard, error=WorkerDied("killed"))
        return ShardDone(shard, translate_shard(spec, shard).translations)

    def pending_texts(self, shard: Shard) -> list[str]:
        """A poisoned worker takes down every shard that shares it."""
        return shard.texts + [t for _, s in self.pending for t in s.texts]

    def restart(self) -> None:
        self.restarts += 1


def _translate(runner, cache: Path, keys=KEYS, engine: str = "pseudo"):
    spec = EngineSpec(engine)
    with runner:
        return Translator(spec, str(cache), runner, shard_tokens=8).translate(keys)


def test_results_are_the_same_on_any_runner_and_the_cache_answers_a_second_time(tmp_path) -> None:
    keys = {k: v for k, v in KEYS.items() if "POISON" not in k[2]}
    config = RunConfig(sources=[str(tmp_path)], to=["fr"], out=str(tmp_path / "out"), workers=1)
    on_prefect = _translate(choose_runner(EngineSpec("pseudo"), config), tmp_path / "a", keys)
    inline = InlineRunner()
    on_inline = _translate(inline, tmp_path / "b", keys)
    assert on_prefect.translated == on_inline.translated
    assert set(on_inline.translated) == set(keys)
    assert not on_inline.errors and not on_inline.cached
    assert on_inline.sent == 3, "three texts to translate; the French one and the one without letters are their own"
    for text in ("Déjà en français.", "2024 — 12/31, +++ (§ 4.2)"):
        same = on_inline.translated[next(k for k in keys if k[2] == text)]
        assert same.text == text and len(same.alignment) == len(text)
    marked = on_inline.translated[("en_XX", "fr_XX", "A second, <b>marked</b> one.")]
    assert marked.alignment and not on_inline.translated[("en_XX", "fr_XX", "A first sentence.")].alignment

    again = _translate(InlineRunner(), tmp_path / "b", keys)
    assert again.sent == 0 and again.cached == {k for k in keys if k[0] != k[1] and k[2][0].isalpha()}
    assert again.translated == on_inline.translated


def test_a_dead_worker_is_charged_to_the_shard_that_killed_it(tmp_path) -> None:
    """Every shard that shared a worker with the poison runs again alone; only the poison fails, after
    its worker died under it alone three times, and the others are translated."""
    runner = InlineRunner()
    results = _translate(runner, tmp_path / "cache")
    poison = ("en_XX", "fr_XX", "POISON in this one.")
    assert set(results.errors) == {poison}
    assert "died 3 times translating it alone" in results.errors[poison]
    assert set(results.translated) == set(KEYS) - {poison}
    alone = [n for texts, n in runner.submitted if "POISON" in texts]
    assert alone[1:] == [1, 1, 1], "after the first death, the poison runs alone"
    assert runner.restarts == results.worker_deaths == 4


def test_an_unknown_engine_is_a_usage_error_before_any_work(cli, tmp_path) -> None:
    (tmp_path / "a.txt").write_text("Hello.")
    code, out, err = cli("translate", tmp_path / "a.txt", "--to", "fr", "--out", tmp_path / "out", "--engine", "nope")
    assert code == 2
    assert "unknown engine 'nope'; choose from hf, ct2, pseudo, identity" in err
    assert not (tmp_path / "out").exists()


LAYERS = {"babelflow": 0, "connectors": 1, "tasks": 2, "flows": 3}  # babelflow/cli.py is above them all


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_dependencies_run_one_way() -> None:
    """babelflow's core (types, config, languages) <- connectors <- tasks <- flows <- the CLI; engines
    import no Prefect, so that the engine runs where only torch and transformers are installed."""
    wrong = []
    for folder, level in LAYERS.items():
        for path in (REPO / folder).rglob("*.py"):
            if path.name == "cli.py":
                continue
            for name in _imports(path):
                parts = name.split(".")
                if parts[0] == "babelflow" and len(parts) > 1 and parts[1] in LAYERS:
                    if LAYERS[parts[1]] > level:
                        wrong.append(f"{path.relative_to(REPO)} imports {name}")
                elif parts[0] == "babelflow" and parts[1:2] == ["cli"]:
                    wrong.append(f"{path.relative_to(REPO)} imports {name}")
                elif parts[0] == "prefect" and "engines" in path.parts:
                    wrong.append(f"{path.relative_to(REPO)} imports {name}")
    assert not wrong, "\n".join(wrong)
    assert len(list((REPO / "tasks").rglob("*.py"))) > 20


def test_stage_packages_install_under_the_babelflow_namespace(tmp_path) -> None:
    """`tasks`, `flows` and `connectors` are common names: installed top-level, they would clash."""
    code = "import babelflow.tasks, babelflow.flows, babelflow.connectors\nimport importlib.util as u\n" \
           "print([n for n in ('tasks', 'flows', 'connectors') if u.find_spec(n)])"
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("spec, key", [
    (EngineSpec("identity"), "60a92c2b7da7873c"),
    (EngineSpec("pseudo", beams=4, no_repeat_ngram=3), "063d6bf35ea2240b"),
])
def test_the_engine_key_of_existing_settings_is_unchanged(spec, key) -> None:
    """Engine keys name cache folders and key the run state: a changed key would translate everything
    again after an upgrade. These are the keys earlier versions wrote."""
    from babelflow.tasks.engines import prepare_engine

    assert prepare_engine(spec) == key
