"""Peak memory of the pool's scoring job against the size of the pool.

Builds, under ``--work``, a synthetic table of ``--rows`` rows (source ``table``), one
split, a target and pools of M untrained MLPs in chunk files of 8 (the scores of a
random model cost what a trained one's do), then runs
:func:`diffcal.stages.score_pool.run_score_pool` for each M in ``--models`` in a fresh
process, with every public sample in the population, and prints each run's peak RSS
(``resource.getrusage``) and time, the growth of peak RSS per added model, and the
ratio of the largest pool's peak to the smallest's. The job streams each model's rows
to its Parquet file, so memory should not grow with M; the score file itself does
(its size is printed beside it).

    python benchmarks/score_memory.py [--rows 50000] [--models 16 64]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from prepare_table import write_csv

CHILD = r"""
import json, resource, sys, time
from diffcal.stages.score_pool import run_score_pool
work, m = sys.argv[1], int(sys.argv[2])
t0 = time.perf_counter()
run_score_pool(data=f"{work}/data.npz", split=f"{work}/split.parquet",
               target=f"{work}/target.pt",
               models=[f"{work}/pool{m}/models{s}-{s + 7}.pt" for s in range(0, m, 8)],
               out=f"{work}/pool{m}/pool_scores.parquet",
               membership=f"{work}/pool{m}/membership.parquet",
               seeds={"root_seed": 0, "key": "bench"}, population=10**9, references=m,
               batch_size=4096)
print(json.dumps({"seconds": time.perf_counter() - t0,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def build(work: Path, rows: int, pools: list[int]) -> None:
    """The data, split, target and pool files of every pool size."""
    import numpy as np

    from diffcal.data.registry import load_prepared
    from diffcal.stages.prepare import run_prepare
    from diffcal.stages.split import run_split
    from diffcal.training.model_files import model_spec, new_model, save_models

    write_csv(work / "table.csv", rows, 20)
    run_prepare(
        source="table",
        data_dir=None,
        out=str(work / "data.npz"),
        source_kwargs={"path": str(work / "table.csv"), "label": "label"},
    )
    run_split(
        data=str(work / "data.npz"),
        out=str(work / "split.parquet"),
        root_seed=0,
        dataset="bench",
        splits=[0],
        cfg={},
    )
    d = load_prepared(str(work / "data.npz"))
    spec = model_spec(d, {"arch": "mlp", "kwargs": {}})

    def entry(role: str, j: int) -> dict:
        return {
            "model": new_model(spec, j),
            "seed": j,
            "split": 0,
            "role": role,
            "index": j,
            "train_ids": np.arange(10),
            "train_acc": 0.0,
            "test_acc": 0.0,
        }

    save_models(work / "target.pt", spec, [entry("target", 0)])
    for m in pools:
        for s in range(0, m, 8):
            save_models(
                work / f"pool{m}/models{s}-{s + 7}.pt",
                spec,
                [entry("pool", j) for j in range(s, s + 8)],
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--models", type=int, nargs="+", default=[16, 64])
    ap.add_argument("--work", default=None)
    args = ap.parse_args()
    if any(m % 8 for m in args.models):
        sys.exit("--models: multiples of 8 (chunk files of 8)")
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        work = Path(tmp)
        build(work, args.rows, args.models)
        runs = {}
        for m in args.models:
            proc = subprocess.run(
                [sys.executable, "-c", CHILD, str(work), str(m)],
                capture_output=True,
                text=True,
                check=True,
            )
            runs[m] = json.loads(proc.stdout.strip().splitlines()[-1])
            size = (work / f"pool{m}/pool_scores.parquet").stat().st_size / 2**20
            print(
                f"M = {m:4d}: peak RSS {runs[m]['peak_mb']:7.1f} MB, "
                f"{runs[m]['seconds']:6.1f} s, pool_scores.parquet {size:6.1f} MB"
            )
    lo, hi = min(args.models), max(args.models)
    per_model = (runs[hi]["peak_mb"] - runs[lo]["peak_mb"]) / (hi - lo)
    print(f"peak RSS per added model: {per_model:+.2f} MB")
    print(f"peak RSS ratio M = {hi} / M = {lo}: {runs[hi]['peak_mb'] / runs[lo]['peak_mb']:.2f}")


if __name__ == "__main__":
    main()
