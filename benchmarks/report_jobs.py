"""The report jobs of a results tree, each in a fresh Python process (imports
included, Snakemake's start-up not).

- ``tables``: now, the job's function (:func:`diffcal.stages.tables.run_tables`),
  which sums the replicates the attack jobs wrote (``bootstrap.parquet``);
  baseline, the same job as it was before ``088f102``: every split of every row
  resampled in the job itself (:func:`diffcal.stats.bootstrap.bootstrap_means`
  on the part files, 2 threads, as the job had), then the same tables. Both give
  the same intervals (checked, bit for bit).
- ``compare_report`` (``--compare``): now, the report alone; baseline, the report
  and its log-log ROC figure in one job, as before ``088f102`` (the figure is now
  the ``compare_figure`` job's).

    python benchmarks/report_jobs.py --tree DIR --config config/ablations.yaml
    python benchmarks/report_jobs.py --tree DIR --config config/compare.yaml --compare
"""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def table_runs(cfg: dict) -> list[dict]:
    """The tables job's ``runs`` (as ``Targets.table_runs`` in diffcal.config.targets)."""
    from diffcal.config import views as dview

    runs = []
    for d, v, t in dview.runs(cfg):
        part = dview.part_of(cfg, d, t)
        base = f"results/{d}/{v}/split{part}"
        mv = dview.model_variant(cfg, d, v)
        runs.append(
            {
                "dataset": d,
                "variant": v,
                "split": t,
                "label": dview.label(cfg, d, v),
                "paper_row": cfg["datasets"][d]["variants"][v].get(
                    "paper_row", cfg["datasets"][d].get("paper_row") if v == "plain" else None
                ),
                "metrics": f"{base}/metrics.csv",
                "bootstrap": f"{base}/bootstrap.parquet",
                "attack_scores": f"{base}/attack_scores.parquet",
                "scores": f"{base}/scores.parquet",
                "split_file": f"results/{d}/{mv}/split{part}/split.parquet",
            }
        )
    return runs


def resample_in_job(runs: list[dict]) -> dict:
    """The baseline's resampling: every split of every row from its part files,
    each file read once (as the job's ``PartFiles`` did)."""
    import pandas as pd

    from diffcal.data.splits import read_splits
    from diffcal.stats.bootstrap import bootstrap_means, replicate_seed, split_cells

    read = functools.cache(
        lambda path: pd.read_csv(path) if path.endswith(".csv") else pd.read_parquet(path)
    )
    splits_of = functools.cache(read_splits)
    groups: dict = {}
    for r in runs:
        groups.setdefault((r["dataset"], r["variant"], r["label"]), []).append(r)
    out = {}
    for key, group in groups.items():
        splits, seeds = [], []
        for r in group:
            t = int(r["split"])
            frames = [read(r[k]) for k in ("scores", "attack_scores", "metrics")]
            sc, att, met = (f[f["split"] == t] for f in frames)
            cells = split_cells(sc, splits_of(r["split_file"])[t], att, met)
            if len(cells) > 1:
                sys.exit("a row whose target and eval samples differ: not in this benchmark")
            splits.append(cells[0])
            seeds.append(replicate_seed(r["dataset"], r["variant"], t))
        for cell, iv in bootstrap_means(splits, seeds=seeds, threads=2).items():
            out[f"{key}|{cell}"] = iv
    return out


def child(mode: str, spec: dict) -> None:
    """One job in this fresh process; prints its JSON result."""
    t0 = time.perf_counter()
    result = {}
    if mode in ("tables", "tables_baseline"):
        from diffcal.reporting.tables import PartFiles
        from diffcal.stages.tables import run_tables
        from diffcal.stats.bootstrap import row_intervals

        if mode == "tables_baseline":
            result = resample_in_job(spec["runs"])
        run_tables(runs=spec["runs"], out_dir=spec["out"], attacks=spec["attacks"])
        elapsed = time.perf_counter() - t0
        if mode == "tables":  # the intervals the job used, for the comparison
            files, groups = PartFiles(), {}
            for r in spec["runs"]:
                groups.setdefault((r["dataset"], r["variant"], r["label"]), []).append(r)
            for key, g in groups.items():
                rows = [files.rows(r["bootstrap"], "bootstrap", int(r["split"])) for r in g]
                for cell, iv in row_intervals(rows).items():
                    result[f"{key}|{cell}"] = iv
    else:
        from diffcal.stages.compare_report import run_compare_report

        p, out = spec["params"], spec["out"]
        run_compare_report(csv=f"{out}/comparison.csv", md=f"{out}/comparison.md", **p)
        if mode == "compare_baseline":
            from diffcal.stages.compare_figure import run_compare_figure

            run_compare_figure(
                runs=p["runs"],
                attacks=p["attacks"],
                budgets=p["budgets"],
                png=f"{out}/fig.png",
                pdf=f"{out}/fig.pdf",
            )
        elapsed = time.perf_counter() - t0
    print(json.dumps({"seconds": elapsed, "intervals": {k: list(v) for k, v in result.items()}}))


def run_child(mode: str, spec: dict, tree: Path) -> dict:
    """The child's result: ``seconds`` (its imports and the job's work) and the
    intervals it used (the check after the work is not timed)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
    proc = subprocess.run(
        [sys.executable, __file__, "--child", mode, f.name],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    Path(f.name).unlink()
    return json.loads(proc.stdout.strip().splitlines()[-1])


def compare_spec(cfg: dict) -> dict:
    """compare_report's params (as ``compare_runs`` in workflow/rules/common.smk)."""
    from diffcal.config import views as dview

    c = cfg["compare"]
    runs = []
    for d, variants in c["datasets"].items():
        for v in variants:
            parts = dview.parts(cfg, d)
            files = lambda name: [f"results/{d}/{v}/split{p}/pool/{name}" for p in parts]  # noqa: E731,B023
            runs.append(
                {
                    "dataset": d,
                    "variant": v,
                    "label": dview.label(cfg, d, v),
                    "metrics": files("compare_metrics.csv"),
                    "scores": files("compare_scores.parquet"),
                    "quantile_fit": files("quantile_fit.csv") if "quantile" in c["attacks"] else [],
                }
            )
    return {
        "runs": runs,
        "attacks": c["attacks"],
        "budgets": c["budgets"],
        "fpr_levels": c["fpr_levels"],
    }


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], json.loads(Path(sys.argv[3]).read_text()))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tree", required=True, help="a checkout whose results of --config exist")
    ap.add_argument("--config", required=True)
    ap.add_argument("--compare", action="store_true", help="time compare_report, not tables")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    from diffcal.config import views as dview
    from diffcal.config.load import load_config

    tree = Path(args.tree).resolve()
    cfg = load_config(Path(args.config).resolve())
    with tempfile.TemporaryDirectory(prefix="diffcal-report-") as out:
        if args.compare:
            spec = {"params": compare_spec(cfg), "out": out}
            modes = ("compare_baseline", "compare_report")
        else:
            spec = {"runs": table_runs(cfg), "out": out, "attacks": dview.attack_columns(cfg)}
            modes = ("tables_baseline", "tables")
        best: dict[str, float] = {}
        results = {}
        for _ in range(args.repeats):  # alternating, best of each
            for mode in modes:
                res = run_child(mode, spec, tree)
                best[mode] = min(best.get(mode, res["seconds"]), res["seconds"])
                results[mode] = res["intervals"]
    base, now = modes
    if not args.compare:
        same = results[base] == results[now]
        print(f"intervals of {len(results[now])} cells identical: {same}")
        if not same:
            sys.exit("the two paths disagree")
    print(
        f"baseline ({base}): {best[base]:.2f} s  (a fresh process: imports and work, "
        f"best of {args.repeats})"
    )
    print(f"now ({now}): {best[now]:.2f} s")
    print(f"ratio: {best[base] / best[now]:.2f}x")


if __name__ == "__main__":
    main()
