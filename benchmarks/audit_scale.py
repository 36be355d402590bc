"""An audit of scores at scale: the issue's goal is 1,000,000 samples x 64
references + 100,000 population rows in <= 60 s wall and <= 2 GB peak memory on
the 2-core dev machine.

Writes synthetic score files in the documented format (docs/audit.md: a target
file with ``sample_id``, ``loss``, ``correct``, ``population``; one Parquet file
per reference with ``sample_id``, ``loss``, ``is_in``; the members as ``.npy``),
then times, each in its own process (peak RSS from the kernel):

- baseline: reading the score files alone (``pandas.read_parquet`` of each);
- ``audit_scores``: :func:`diffcal.stages.audit_scores.run_audit_scores`;
- ``audit_report``: :func:`diffcal.stages.audit_report.run_audit_report`.

Losses: a member's target loss is lower (exponential, a per-sample difficulty
shared with the references; a reference that trained on the sample has it lower
too), so every attack has something to find.

    python benchmarks/audit_scale.py [--n 1000000] [--refs 64] [--pop 100000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def write_files(root: Path, n: int, refs: int, pop: int, seed: int = 0) -> dict:
    """The score files of one audit under ``root``; returns the stage's arguments."""
    rng = np.random.default_rng(seed)
    total = n + pop
    ids = np.arange(total, dtype=np.int64) * 3 + 7  # the user's ids, not row numbers
    member = np.zeros(total, bool)
    member[rng.permutation(n)[: n // 2]] = True
    population = np.r_[np.zeros(n, bool), np.ones(pop, bool)]
    hard = rng.exponential(1.0, total)
    loss = hard * np.where(member, 0.6, 1.0) + rng.exponential(0.05, total)
    pd.DataFrame(
        {"sample_id": ids, "loss": loss, "correct": loss < 0.7, "population": population}
    ).to_parquet(root / "target.parquet", index=False)
    np.save(root / "members.npy", ids[member])
    paths = []
    for j in range(refs):
        is_in = (rng.random(total) < 0.5) & ~population
        ref = hard * np.where(is_in, 0.6, 1.0) + rng.exponential(0.05, total)
        path = root / f"ref{j}.parquet"
        pd.DataFrame({"sample_id": ids, "loss": ref, "is_in": is_in}).to_parquet(path, index=False)
        paths.append(str(path))
    return {
        "target": str(root / "target.parquet"),
        "references": paths,
        "members": str(root / "members.npy"),
    }


def _read_only(files: dict, out: Path) -> None:
    for path in [files["target"], *files["references"]]:
        pd.read_parquet(path)


def _scores(files: dict, out: Path) -> None:
    from diffcal.stages.audit_scores import run_audit_scores

    run_audit_scores(
        **files,
        out_scores=str(out / "scores.parquet"),
        out_attack_scores=str(out / "attack_scores.parquet"),
    )


def _report(files: dict, out: Path) -> None:
    from diffcal.stages.audit_report import run_audit_report

    run_audit_report(
        attack_scores=[str(out / "attack_scores.parquet")],
        scores=[str(out / "scores.parquet")],
        name="scale",
        title="scale",
        what="synthetic scores",
        fpr_levels=[0.01, 0.001],
        root_seed=0,
        **{f"out_{k}": str(out / f"report.{k}") for k in ("md", "html", "png", "pdf")},
        out_metrics=str(out / "metrics.csv"),
        out_risk=str(out / "risk.parquet"),
    )


STEPS = {"read_only": _read_only, "audit_scores": _scores, "audit_report": _report}


def _child(step: str, files: str, out: str) -> None:
    t0 = time.perf_counter()
    STEPS[step](json.loads(files), Path(out))
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB
    print(json.dumps({"step": step, "wall_s": wall, "peak_mib": peak}))


def run(step: str, files: dict, out: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", step, json.dumps(files), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{step} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(*sys.argv[2:5])
        return
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1_000_000, help="audited samples")
    p.add_argument("--refs", type=int, default=64, help="reference models")
    p.add_argument("--pop", type=int, default=100_000, help="population rows")
    p.add_argument("--dir", default=None, help="where the files go (default: a temp dir)")
    args = p.parse_args()
    root = Path(args.dir or tempfile.mkdtemp(prefix="audit_scale_"))
    root.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    files = write_files(root, args.n, args.refs, args.pop)
    print(
        f"files: {args.n:,} samples x {args.refs} references + {args.pop:,} population "
        f"in {root} ({time.perf_counter() - t0:.0f} s)"
    )
    results = [run(step, files, root) for step in STEPS]
    for r in results:
        print(f"{r['step']:>13}: {r['wall_s']:7.1f} s, peak {r['peak_mib']:7.0f} MiB")
    base = results[0]["wall_s"]
    audit = sum(r["wall_s"] for r in results[1:])
    peak = max(r["peak_mib"] for r in results[1:])
    print(
        f"audit (scores + report): {audit:.1f} s = {audit / base:.1f}x reading the files; "
        f"peak {peak:.0f} MiB (goal: <= 60 s, <= 2048 MiB)"
    )


if __name__ == "__main__":
    main()
