"""Are the outputs of this working tree byte-identical to those of another commit?

    python benchmarks/compare_outputs.py --base HEAD~1

Translates examples/docs and the shared corpus (../shared/corpus, when it is there) with the
`identity` and `pseudo` engines and a tiny random mBART-50-style model, once with each revision
(the base checked out in a temporary git worktree), and compares every output file byte for byte,
the segments table row for row, the manifest (all but its timing column) and the run state (all
but its timestamps). For refactors that must not change behaviour. Exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
IGNORED = {"manifest.parquet": {"seconds"}, "state.parquet": {"translated_at"}}


def translate(tree: Path, sources: list[Path], out: Path, engine: str, model: Path) -> None:
    """The CLI of `tree` (its own packages first on the path), offline, with an ephemeral Prefect."""
    command = [sys.executable, "-m", "babelflow.cli", "translate", *map(str, sources), "--to", "fr,de",
               "--out", str(out), "--engine", engine, "--model", str(model)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
           "PREFECT_LOGGING_LEVEL": "WARNING", "PYTHONPATH": str(tree)}
    result = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
    if result.returncode not in (0, 1):
        raise SystemExit(f"{tree} {engine}: exit {result.returncode}\n{result.stderr[-3000:]}")


def table_rows(path: Path, out: Path) -> list[tuple]:
    """Rows in a stable order, paths under `out` made relative, ignored columns dropped."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    drop = IGNORED.get(path.name, set())
    rows = [tuple(str(v).replace(str(out), "OUT") if isinstance(v, str) else v
                  for k, v in row.items() if k not in drop) for row in table.to_pylist()]
    return sorted(rows, key=repr)


def differences(a: Path, b: Path) -> list[str]:
    found = []
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file() and ".babelflow/cache" not in str(p)}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file() and ".babelflow/cache" not in str(p)}
    if (tables_a := {f for f in files_a if f.parts[0] == "segments"}) and (tables_b := {f for f in files_b if f.parts[0] == "segments"}):
        files_a -= tables_a
        files_b -= tables_b
        if table_rows(a / "segments", a) != table_rows(b / "segments", b):
            found.append("segments/ rows differ")
    found += [f"only in base: {f}" for f in sorted(files_a - files_b)]
    found += [f"only in this tree: {f}" for f in sorted(files_b - files_a)]
    for name in sorted(files_a & files_b):
        if name.suffix == ".parquet" and name.name in IGNORED:
            same = table_rows(a / name, a) == table_rows(b / name, b)
        else:
            same = (a / name).read_bytes() == (b / name).read_bytes()
        if not same:
            found.append(f"differs: {name}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="HEAD", help="the commit to compare with (default: HEAD)")
    parser.add_argument("--engines", nargs="+", default=["identity", "pseudo", "mbart"])
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "tests"))
    from tiny_model import build_tiny_model

    with tempfile.TemporaryDirectory(prefix="babelflow-compare-") as tmp:
        work = Path(tmp)
        base = work / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(base), args.base], cwd=REPO, check=True,
                       capture_output=True)
        for stage in ("tasks", "flows", "connectors"):  # installed as babelflow.<stage>: found there, not in
            if (base / stage).is_dir() and not (base / "babelflow" / stage).exists():  # this tree's install
                (base / "babelflow" / stage).symlink_to(base / stage)
        try:
            model = build_tiny_model(work / "tiny-mbart")
            sources = [REPO / "examples" / "docs"] + ([CORPUS] if CORPUS.is_dir() else [])
            failed = False
            for engine in args.engines:
                outs = {}
                for name, tree in (("base", base), ("this", REPO)):
                    outs[name] = work / f"{engine}-{name}"
                    translate(tree, sources, outs[name], engine, model)
                found = differences(outs["base"], outs["this"])
                n_files = sum(1 for p in outs["this"].rglob("*") if p.is_file())
                print(f"{engine}: {n_files} files, {'identical' if not found else f'{len(found)} differences'}")
                for line in found[:20]:
                    print(f"  {line}")
                failed |= bool(found)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=REPO, capture_output=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
