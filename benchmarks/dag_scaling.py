"""Where Snakemake's planning stops scaling for us: generated stress
configs with thousands of tiny jobs, and the time of ``snakemake -n`` on each.

Each config has one dataset (sklearn's digits, nothing to download: a dry run reads
no data) with ``--splits`` splits, one job per split (``splits_per_job: 1``), and a
LiRA / RMIA pool of R references trained one per job (``models_per_job: 1``), so it
plans about splits x (R + 10) jobs. For each R in ``--references`` the script writes
the config into a fresh copy of the workflow, times ``snakemake -n -q`` (best of
``--repeats``), counts the planned jobs and prints jobs, seconds and milliseconds per
job; the smallest config is the baseline of the ratio column.

    python benchmarks/dag_scaling.py [--splits 4] [--references 25 250 1000 2500]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def stress_config(splits: int, references: int) -> dict:
    return {
        "name": f"stress{references}",
        "root_seed": 1,
        "compare": {
            "datasets": {"digits": ["plain"]},
            "references": references,
            "budgets": [1, references],
            "population": 100,
        },
        "datasets": {
            "digits": {
                "source": "sklearn_digits",
                "splits": splits,
                "splits_per_job": 1,
                "models_per_job": 1,
                "model": {"arch": "mlp"},
                "train": {"epochs": 1},
                "references": {"scratch": 1, "forget": 1},
            }
        },
    }


def dry_run(wd: Path, config: Path, repeats: int) -> tuple[float, int]:
    best, jobs = float("inf"), 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "snakemake", "-n", "--configfile", str(config)],
            cwd=wd,
            capture_output=True,
            text=True,
        )
        best = min(best, time.perf_counter() - t0)
        if proc.returncode != 0:
            sys.exit(f"dry run failed:\n{proc.stderr[-3000:]}")
        m = re.search(r"^total\s+(\d+)$", proc.stdout + proc.stderr, re.M)
        jobs = int(m.group(1)) if m else 0
    return best, jobs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--splits", type=int, default=4)
    ap.add_argument("--references", type=int, nargs="+", default=[25, 250, 1000, 2500])
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="diffcal-dag-") as tmp:
        wd = Path(tmp)
        shutil.copy2(REPO / "Snakefile", wd)
        for sub in ("workflow", "config", "src", "profiles"):
            shutil.copytree(REPO / sub, wd / sub, ignore=shutil.ignore_patterns("__pycache__"))
        print(f"{'references':>10} {'jobs':>7} {'dry run s':>9} {'ms/job':>7} {'ratio':>6}")
        base = None
        for r in args.references:
            cfg = wd / f"stress{r}.yaml"
            cfg.write_text(yaml.safe_dump(stress_config(args.splits, r)))
            seconds, jobs = dry_run(wd, cfg, args.repeats)
            base = base or seconds
            print(
                f"{r:>10} {jobs:>7} {seconds:>9.1f} {1000 * seconds / max(jobs, 1):>7.2f} "
                f"{seconds / base:>6.1f}"
            )


if __name__ == "__main__":
    main()
