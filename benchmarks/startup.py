"""Planning time: ``snakemake -n`` on a config against Snakemake's own floor.

Times, best of ``--repeats``, in this run:

- floor: ``snakemake -n`` on a one-rule Snakefile (Snakemake's start-up alone);
- ours: ``snakemake -n --configfile <config>`` on a copy of this workflow (the
  config checked, every stage's code digested, the DAG of every job planned);
  with ``--tree DIR``, in ``DIR`` instead: a checkout whose results of that config
  exist (an up-to-date tree: every output's metadata checked, nothing to run).

Prints both, the difference (what the workflow adds) and the ratio.

    python benchmarks/startup.py [--config config/paper.yaml] [--repeats 5] [--tree DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def best_of(cmd: list[str], cwd: Path, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="config/paper.yaml")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--tree", type=Path, help="plan in this checkout (results present)")
    ap.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="--config values of the run that made the tree (e.g. data_dir=...)",
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        floor_dir, ours = Path(tmp, "floor"), Path(tmp, "ours")
        floor_dir.mkdir()
        (floor_dir / "Snakefile").write_text('rule all:\n    output: "x"\n    shell: "touch x"\n')
        ours.mkdir()
        shutil.copy2(REPO / "Snakefile", ours / "Snakefile")
        for d in ("workflow", "config", "src", "envs", "profiles"):
            shutil.copytree(REPO / d, ours / d, ignore=shutil.ignore_patterns("__pycache__"))
        floor = best_of([*SNAKEMAKE, "-n", "-q"], floor_dir, args.repeats)
        where = args.tree.resolve() if args.tree else ours
        extra = ["--config", *args.set] if args.set else []
        cmd = [*SNAKEMAKE, "-n", "-q", "--configfile", args.config, *extra]
        plan = best_of(cmd, where, args.repeats)
        if args.tree:  # say whether the tree was up to date (nothing planned)
            out = subprocess.run(
                [c for c in cmd if c != "-q"], cwd=where, capture_output=True, text=True, check=True
            )
            up_to_date = "Nothing to be done" in out.stdout + out.stderr
    print(f"floor (one-rule Snakefile):        {floor:6.2f} s")
    tree = f" in {args.tree} (up to date: {up_to_date})" if args.tree else " (no results)"
    print(f"snakemake -n --configfile {args.config}{tree}: {plan:6.2f} s")
    print(f"added by the workflow: {plan - floor:.2f} s; ratio {plan / floor:.2f}x")


if __name__ == "__main__":
    main()
