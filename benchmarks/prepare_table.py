"""Preparing your own CSV (source ``table``): wall time and peak memory against a
baseline in the same run, the floor any loader pays: ``pandas.read_csv`` of the same
file alone.

Writes a CSV of ``--rows`` rows x ``--cols`` columns (90 % numeric with 1 % missing
values, 10 % categorical with 5 levels, a binary label) under ``--work``, then
measures, each in a fresh process (peak RSS from ``resource.getrusage``):

- baseline: ``pd.read_csv(path)``;
- ours: ``diffcal.data.registry.prepare("table", path=...)`` (read, encode, standardise).

Prints both times, both peak RSS, and ratios: time ours / baseline, and peak RSS of
ours over the size of the prepared float32 data (the issue's goal: at most 3x).

    python benchmarks/prepare_table.py --rows 1000000 --cols 50
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
if sys.argv[1] == "baseline":
    import pandas as pd
    df = pd.read_csv(sys.argv[2]); shape = list(df.shape)
else:
    from diffcal.data.registry import prepare
    d = prepare("table", None, path=sys.argv[2]); shape = list(d.x.shape)
print(json.dumps({"seconds": time.perf_counter() - t0, "shape": shape,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def write_csv(path: Path, rows: int, cols: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    n_cat = max(1, cols // 10)
    chunk = 200_000
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        num = rng.normal(size=(n, cols - n_cat))
        num[rng.random(num.shape) < 0.01] = np.nan
        frame = pd.DataFrame(num, columns=[f"x{i}" for i in range(cols - n_cat)])
        for j in range(n_cat):
            frame[f"c{j}"] = rng.choice(list("abcde"), n)
        frame["label"] = rng.integers(0, 2, n)
        frame.to_csv(
            path,
            mode="w" if start == 0 else "a",
            header=start == 0,
            index=False,
            float_format="%.6g",
        )


def measure(kind: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(path)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--cols", type=int, default=50)
    p.add_argument("--work", default="benchmarks/out")
    a = p.parse_args()
    path = Path(a.work) / f"table_{a.rows}x{a.cols}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if not path.exists():
        write_csv(path, a.rows, a.cols)
    print(
        f"CSV {path} ({path.stat().st_size / 1e6:.0f} MB), written in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    base, ours = measure("baseline", path), measure("ours", path)
    prepared_mb = np.prod(ours["shape"]) * 4 / 2**20
    print(f"baseline pandas.read_csv: {base['seconds']:.1f} s, peak RSS {base['peak_mb']:.0f} MB")
    print(
        f"ours prepare('table'):    {ours['seconds']:.1f} s, peak RSS {ours['peak_mb']:.0f} MB, "
        f"x {ours['shape']} float32 = {prepared_mb:.0f} MB"
    )
    print(
        f"ratio time ours / read_csv: {ours['seconds'] / base['seconds']:.2f}x; "
        f"peak RSS / prepared data: {ours['peak_mb'] / prepared_mb:.2f}x (goal <= 3x)"
    )


if __name__ == "__main__":
    main()
