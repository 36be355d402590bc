"""Figure 6's epsilon lower bounds before and after the threshold strategy changed:
the copy of ``fig6_dp.csv`` at an old commit (5 thresholds with the best point
estimate, chosen on the shadow's samples) against the current copy (the
``bonferroni`` strategy over the ROC hull), per dataset, DP target and attack.

Usage: python docs/checks/bounds_old_new.py OLD_COMMIT > docs/auditing/bounds_old_new.md
(run from the repository root; the current copies are docs/ablations/<dataset>/fig6_dp.csv).
"""

import io
import subprocess
import sys

import numpy as np
import pandas as pd

DATASETS = {"adult": "Adult", "mnist": "MNIST"}
ATTACKS = {"loss_orig": "Loss Orig", "loss_cal": "Loss Cal", "loss_calf": "Loss Cal-F"}


def cell(row: pd.Series) -> str:
    return f"{row['epsilon_lb_mean']:.3f} ({row['epsilon_lb_std']:.3f})"


def main(old_commit: str) -> None:
    print(f"# Figure 6's epsilon lower bounds: `{old_commit}` against the current copies\n")
    print("Mean (std) over splits of the 95 % lower bound at delta 1e-5; old: 5 thresholds")
    print("by point estimate on the shadow's samples; new: `bonferroni` over the ROC hull's")
    print("vertices on the evaluation samples (docs/auditing.md).\n")
    print(
        "| Dataset | Variant | epsilon | "
        + " | ".join(f"{a}: old -> new" for a in ATTACKS.values())
        + " |"
    )
    print("|---|---|---|" + "---|" * len(ATTACKS))
    for ds, label in DATASETS.items():
        path = f"docs/ablations/{ds}/fig6_dp.csv"
        text = subprocess.run(
            ["git", "show", f"{old_commit}:{path}"], capture_output=True, text=True, check=True
        ).stdout
        old = pd.read_csv(io.StringIO(text)).set_index(["variant", "attack"])
        new = pd.read_csv(path).set_index(["variant", "attack"])
        for v in dict.fromkeys(new.index.get_level_values(0)):
            eps = new.loc[(v, "loss_orig"), "epsilon_mean"]
            cells = [
                f"{cell(old.loc[(v, a)])} -> {cell(new.loc[(v, a)])}"
                if (v, a) in old.index
                else f"- -> {cell(new.loc[(v, a)])}"
                for a in ATTACKS
            ]
            e = "undefended" if not np.isfinite(eps) else f"{eps:g}"
            print(f"| {label} | {v} | {e} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
