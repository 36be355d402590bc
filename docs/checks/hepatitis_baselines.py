"""Public-data baselines for Hepatitis: what accuracy do 39 training rows allow?

Trains scikit-learn models on each paper split's reference pool and tests them on
its shadow samples (never the evaluation split), as diffcal.config.recipe_search does for
the MLP. Run: python docs/checks/hepatitis_baselines.py ../shared/data
[--out docs/reproduction/hepatitis_baselines.md]  (and a CSV beside it)
"""

import sys

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from diffcal.config.load import load_config
from diffcal.config.views import split_config
from diffcal.data.registry import prepare
from diffcal.data.splits import ids_with_role, split_of

MODELS = {
    "logreg C=1": lambda: LogisticRegression(C=1.0, max_iter=2000),
    "logreg C=0.1": lambda: LogisticRegression(C=0.1, max_iter=2000),
    "random forest (200 trees)": lambda: RandomForestClassifier(200, random_state=0),
}


def baselines(data_dir: str) -> pd.DataFrame:
    """One row per model: public test accuracy per split (0-4) and their mean, and
    the majority-class rule's mean on the same samples."""
    cfg = load_config("config/paper.yaml")  # the workflow's splits, through its own config path
    d = prepare("hepatitis", data_dir)
    rows = []
    for name, mk in MODELS.items():
        accs, maj = [], []
        for t in range(5):
            sp = split_of(
                d.n,
                root_seed=cfg["root_seed"],
                dataset="hepatitis",
                split_index=t,
                **split_config(cfg, "hepatitis", "plain"),
            )
            a = ids_with_role(sp, "reference")
            b = ids_with_role(sp, "shadow_in", "shadow_out")
            accs.append(mk().fit(d.x[a], d.y[a]).score(d.x[b], d.y[b]))
            maj.append(np.mean(d.y[b] == np.bincount(d.y[a]).argmax()))
        row = {"model": name, **{f"split{t}": round(v, 3) for t, v in enumerate(accs)}}
        row["mean"] = round(float(np.mean(accs)), 3)
        row["majority_rule"] = round(float(np.mean(maj)), 3)
        rows.append(row)
    table = pd.DataFrame(rows)
    table["majority_share_all_rows"] = round(float(np.bincount(d.y).max() / d.n), 3)
    return table


if __name__ == "__main__":
    from diffcal.reporting.docsync import split_out, write_generated

    args, out = split_out(sys.argv[1:])
    table = baselines(args[0] if args else "../shared/data")
    text = "# Hepatitis: public-data baselines\n\n```\n" + table.to_string(index=False) + "\n```\n"
    write_generated(out, text, table)
