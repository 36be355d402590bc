"""LiRA by the paper's formulas against LiRA as its authors' code computes it, on a
finished comparison run (config/compare.yaml): AUC and TPR at 1 % / 0.1 % FPR, both
TPR conventions (FPR <= level, ours; FPR < level, the LiRA code's), at budget M.

Reads each part's ``pool/pool_scores.parquet`` and ``pool/membership.parquet`` and the
split files; trains and writes nothing. docs/comparison.md quotes its output.

    python examples/lira_variants.py [--results results] [--budget 16]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from diffcal.attacks import compare, metrics

VARIANTS = [
    "lira_offline",
    "lira_offline_official",
    "lira_offline_global",
    "lira_offline_official_global",
    "lira_online",
    "lira_online_official",
    "lira_online_global",
    "lira_online_official_global",
]


def members(results: Path, dataset: str, split: int, ids) -> pd.Series:
    """Whether each candidate is a member of the target of ``split``."""
    for f in sorted(results.glob(f"{dataset}/*/split*/split.parquet")):
        s = pd.read_parquet(f)
        s = s[s["split"] == split].set_index("sample_id")
        if len(s) and set(ids) <= set(s.index):
            return s.loc[ids, "role"] == "member"
    raise FileNotFoundError(f"no split file of {dataset} split {split} holds the candidates")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", default="results")
    ap.add_argument("--budget", type=int, default=16)
    args = ap.parse_args()
    results, rows = Path(args.results), []
    for pool in sorted(results.glob("*/*/split*/pool")):
        dataset = pool.parts[-4]
        sc = pd.read_parquet(pool / "pool_scores.parquet")
        mem = pd.read_parquet(pool / "membership.parquet")
        for t in sorted(sc["split"].unique()):
            ids, o = compare.pool_outputs(sc[sc["split"] == t], mem[mem["split"] == t])
            y = members(results, dataset, int(t), ids).to_numpy()
            for a in VARIANTS:
                s = compare.ATTACKS[a](o.first(args.budget))
                row = {"dataset": dataset, "split": int(t), "attack": a, "auc": metrics.auc(y, s)}
                for level, name in ((0.01, "1%"), (0.001, "0.1%")):
                    row[f"tpr_{name}"] = metrics.tpr_at_fpr(y, s, level)
                    row[f"tpr_{name}_strict"] = metrics.tpr_at_fpr(y, s, level, strict=True)
                rows.append(row)
    df = pd.DataFrame(rows)
    tpr = {c: (c, "mean") for c in df.columns if c.startswith("tpr")}
    out = df.groupby(["dataset", "attack"], sort=False).agg(
        splits=("auc", "size"),
        auc_min=("auc", "min"),
        auc_max=("auc", "max"),
        auc=("auc", "mean"),
        **tpr,
    )
    print(f"budget M = {args.budget}; means over splits")
    print(out.round(4).to_markdown())


if __name__ == "__main__":
    main()
