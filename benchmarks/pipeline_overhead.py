"""What the pipeline costs around the model: the identity engine over generated corpora.

    python benchmarks/pipeline_overhead.py --sizes 100000 1000000
    python benchmarks/pipeline_overhead.py --sizes 1000000 --files 16 --parts 1 2

Each size runs `babelflow translate CORPUS --engine identity` in its own process (or N side by side,
with `--part I/N`) and reports segments per second (of the slowest driver's flow time, and of the
whole command with Prefect start-up) and the largest driver's peak RSS. Prints JSON lines, then a table.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = ("the a of to and in is was for on that with as by at from it this be are or an have not "
         "data model page user file report system value time price order account city river market").split()


def make_corpus(path: Path, rows: int, seed: int = 0) -> None:
    """Short one-sentence rows, a third of them repeated, like web boilerplate and legal clauses."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(seed)
    common = [" ".join(rng.choices(WORDS, k=rng.randint(3, 12))).capitalize() + "." for _ in range(2000)]
    writer = None
    for start in range(0, rows, 100_000):
        n = min(100_000, rows - start)
        texts = [rng.choice(common) if rng.random() < 0.33 else
                 " ".join(rng.choices(WORDS, k=rng.randint(3, 14))).capitalize() + f" {start + i}."
                 for i in range(n)]
        table = pa.table({"id": pa.array(range(start, start + n), pa.int64()), "text": texts})
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()


def run(rows: int, files: int, parts: int, workdir: Path) -> dict:
    """`parts` drivers side by side (`--part I/N`; one: a run without it) over `files` corpus files."""
    folder = workdir / f"corpus-{rows}-{files}"
    if not folder.exists():
        folder.mkdir()
        for i in range(files):
            make_corpus(folder / f"corpus-{i}.parquet", rows // files, seed=i)
    # A fresh parent per driver, so that its peak-RSS-of-children is that driver's alone.
    measure = (
        "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
        "sys.stderr.write(r.stderr); print(r.stdout); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);"
        "sys.exit(r.returncode)"
    )
    out = workdir / f"out-{rows}-{files}-{parts}"
    command = [sys.executable, "-c", measure, sys.executable, "-m", "babelflow.cli", "translate", str(folder),
               "--to", "fr", "--from", "en", "--engine", "identity", "--out", str(out)]
    start = time.perf_counter()
    drivers = [subprocess.Popen(command + (["--part", f"{i}/{parts}"] if parts > 1 else []),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(parts)]
    said = [d.communicate() for d in drivers]
    wall = time.perf_counter() - start
    for driver, (_, err) in zip(drivers, said):
        if driver.returncode:
            raise SystemExit(err)
    stdouts = [o for o, _ in said]
    segments = sum(int(re.search(r"\((\d+) segments", o).group(1)) for o in stdouts)
    flow_seconds = max(float(re.search(r"([\d.]+) s in all\)", o).group(1)) for o in stdouts)
    peak_kb = max(int(o.strip().splitlines()[-1]) for o in stdouts)
    return {
        "segments": segments, "flow_seconds": round(flow_seconds, 2), "wall_seconds": round(wall, 2),
        "seg_per_s_flow": round(segments / flow_seconds), "seg_per_s_wall": round(segments / wall),
        "peak_rss_mb": round(peak_kb / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--files", type=int, default=1, help="corpus files the rows are spread over")
    parser.add_argument("--parts", type=int, nargs="+", default=[1], help="drivers side by side (--part I/N)")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.sizes:
            for parts in args.parts:
                results.append({"rows": rows, "files": args.files, "parts": parts,
                                **run(rows, args.files, parts, Path(tmp))})
                print(json.dumps(results[-1]), flush=True)
    print(f"\n{'rows':>9} {'parts':>5} {'segments':>9} {'flow s':>8} {'wall s':>8} {'seg/s (flow)':>13}"
          f" {'seg/s (wall)':>13} {'peak RSS MB':>12}")
    for r in results:
        print(f"{r['rows']:>9} {r['parts']:>5} {r['segments']:>9} {r['flow_seconds']:>8} {r['wall_seconds']:>8} "
              f"{r['seg_per_s_flow']:>13} {r['seg_per_s_wall']:>13} {r['peak_rss_mb']:>12}")


if __name__ == "__main__":
    main()
