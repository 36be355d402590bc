"""The dataset path at scale: a 1,000,000-row table through the whole workflow,
and the peak memory of its ``attack`` and ``tables`` jobs (the goal: each <= 2 GB
on the 2-core dev machine, as for the audit of scores, benchmarks/audit_scale.py).

Writes a CSV of ``--rows`` rows (benchmarks/prepare_table.py's generator: numeric
columns with missing values, categorical ones, a binary label) and a config
(``source: table``, a small MLP, one epoch, ``--refs`` references of each kind, one
split), runs ``snakemake all`` on it, then reruns each measured job alone
(``--forcerun <rule> --until <rule>``) in a fresh process whose children's peak
RSS the kernel reports (``RUSAGE_CHILDREN``: the largest of Snakemake and the
job). Baselines in the same run: Snakemake planning the same workflow (a dry run:
the floor of any job's measurement) and reading the job's input files alone.

    python benchmarks/dataset_scale.py [--rows 1000000] [--cols 20] [--refs 2] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from prepare_table import write_csv  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
MEASURE = r"""
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(json.dumps({"seconds": time.perf_counter() - t0,
                  "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""
READ = r"""
import json, resource, sys, time
import pandas as pd
t0 = time.perf_counter()
rows = sum(len(pd.read_parquet(p)) for p in sys.argv[1:])
print(json.dumps({"seconds": time.perf_counter() - t0, "rows": rows,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def config(csv: Path, refs: int) -> dict:
    return {
        "name": "scale",
        "root_seed": 1,
        "datasets": {
            "big": {
                "label": "1M-row table",
                "source": "table",
                "source_kwargs": {"path": str(csv), "label": "label"},
                "model": {"arch": "mlp", "kwargs": {"hidden_mult": 1}},
                "splits": 1,
                "train": {"epochs": 1, "batch_size": 1024, "lr": 0.05},
                "forget": {"epochs": 1, "lr": 0.01},
                "references": {"scratch": refs, "forget": refs},
                "resources": {"threads": 2, "mem_mb": 4000, "runtime": 60},
            }
        },
    }


def measure(cmd: list[str], script: str = MEASURE) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", script, *cmd], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--cols", type=int, default=20)
    p.add_argument("--refs", type=int, default=2)
    p.add_argument("--work", default="benchmarks/out/dataset_scale")
    a = p.parse_args()
    work = Path(a.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    csv = work / f"table_{a.rows}x{a.cols}.csv"
    if not csv.exists():
        write_csv(csv, a.rows, a.cols)
    (work / "scale.yaml").write_text(yaml.safe_dump(config(csv, a.refs), sort_keys=False))
    sm = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(work)]
    cfg = ["--configfile", str(work / "scale.yaml")]
    t0 = time.perf_counter()
    subprocess.run([*sm, "all", "--cores", "2", *cfg], check=True, capture_output=True)
    print(f"{a.rows:,} rows x {a.cols} columns, {a.refs} + {a.refs} references: "
          f"snakemake all in {time.perf_counter() - t0:.0f} s")  # fmt: skip
    plan = measure([*sm, "all", "-n", "--forceall", *cfg])
    print(f"baseline, Snakemake planning (dry run): {plan['seconds']:.1f} s, "
          f"peak {plan['peak_mb']:.0f} MB")  # fmt: skip
    scores = sorted(str(f) for f in (work / "results/big/plain").glob("split*/scores.parquet"))
    attacked = sorted(
        str(f) for f in (work / "results/big/plain").glob("split*/attack_scores.parquet")
    )
    for rule, inputs in (("attack", scores), ("tables", attacked)):
        read = measure(inputs, READ)
        job = measure([*sm, "--cores", "2", "--forcerun", rule, "--until", rule, *cfg])
        print(
            f"{rule}: {job['seconds']:.1f} s, peak {job['peak_mb']:.0f} MB "
            f"(goal <= 2048); reading its {read['rows']:,} input rows alone: "
            f"{read['seconds']:.1f} s, {read['peak_mb']:.0f} MB; "
            f"ratio {job['peak_mb'] / read['peak_mb']:.2f}x memory"
        )


if __name__ == "__main__":
    main()
