"""What the HopSkipJump query budget changes: rerun the label-only stage of one
dataset of a finished run at other budgets and print the attack's AUC and
accuracy per budget (mean ± std over splits), with the median distance of the
target and the wall time.

    python docs/checks/hsj_budget.py RUN_DIR credit --config config/paper.yaml \\
        --budgets 10,1000 20,2000 64,10000

RUN_DIR is the directory of a finished `snakemake ... --configfile config/paper.yaml`
run; its models, splits and data are read, never written (the new distances go to
a temporary directory). The budget in the config is one of those compared.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from diffcal.attacks import metrics
from diffcal.attacks.evaluate import label_only_attacks
from diffcal.config import load as dconf
from diffcal.config import views as dview
from diffcal.data.splits import read_splits
from diffcal.stages.label_only import run_label_only

MODELS = ("target", "shadow", "scratch", "forget_target", "forget_shadow")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("dataset")
    ap.add_argument("--config", default="config/paper.yaml")
    ap.add_argument("--variant", default="plain")
    ap.add_argument("--budgets", nargs="+", default=["10,1000", "20,2000", "64,10000"])
    ap.add_argument("--splits", type=int, default=None, help="only the first N splits")
    args = ap.parse_args()
    cfg = dconf.load_config(args.config)
    lo = dview.label_only(cfg, args.dataset, args.variant)
    seeds = {
        "root_seed": cfg["root_seed"],
        "key": cfg["datasets"][args.dataset].get("seed_key", args.dataset),
    }
    print(
        "| budget (max_iter, max_eval) | wall s | median target distance | "
        "AUC Orig | AUC Cal | AUC Cal-F | Acc. Orig | Acc. Cal | Acc. Cal-F |"
    )
    print("|---" * 9 + "|")
    for budget in args.budgets:
        it, ev = (int(v) for v in budget.split(","))
        rows, medians, wall = [], [], 0.0
        for part in dview.parts(cfg, args.dataset):
            base = args.run_dir / "results" / args.dataset / args.variant / f"split{part}"
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "label_only.parquet"
                split = pd.read_parquet(base / "split.parquet")
                if args.splits is not None:
                    split = split[split["split"] < args.splits]
                    if split.empty:
                        continue
                split.to_parquet(Path(tmp) / "split.parquet", index=False)
                t0 = time.perf_counter()
                run_label_only(
                    data=str(args.run_dir / "results" / args.dataset / "data.npz"),
                    split=str(Path(tmp) / "split.parquet"),
                    models={m: str(base / "models" / f"{m}.pt") for m in MODELS},
                    out=str(out),
                    cfg={**lo, "max_iter": it, "max_eval": ev},
                    seeds=seeds,
                    threads=2,
                )
                wall += time.perf_counter() - t0
                lab = pd.read_parquet(out)
            for t, sp in read_splits(base / "split.parquet").items():
                if args.splits is not None and t >= args.splits:
                    continue
                one = lab[lab["split"] == t]
                medians.append(one.loc[one["model"] == "target", "distance"].median())
                res = label_only_attacks(one, sp, {"calibrations": ["orig", "cal", "calf"]})
                (_, em, ea), (_, tm, ta) = res["eval"], res["threshold"]
                for name in ea:
                    tau, _ = metrics.best_threshold(tm, ta[name])
                    acc = metrics.accuracy_at_threshold(em, ea[name], tau)
                    rows.append({"attack": name, "auc": metrics.auc(em, ea[name]), "acc": acc})
        df = pd.DataFrame(rows)
        cells = []
        for metric in ("auc", "acc"):
            for cal in ("orig", "cal", "calf"):
                v = df.loc[df["attack"] == f"boundary_{cal}", metric].to_numpy()
                cells.append(f"{v.mean():.3f} ± {v.std(ddof=1):.3f}")
        print(f"| {it}, {ev} | {wall:.0f} | {np.mean(medians):.4f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
