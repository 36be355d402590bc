"""Walkthrough (c): just your scores, from a model diffcal cannot train.

Trains a scikit-learn gradient-boosting classifier (the "target") on half of the
private rows of the breast-cancer set, and 8 reference models of the same kind on
random halves of the public rows, then writes what diffcal needs to audit it - no
torch involved:

- resources/audit/gbm_target.csv: sample_id, loss (the target's cross-entropy on the
  true label), correct, population (public rows no model trained on: RMIA's
  population);
- resources/audit/gbm_ref<k>.csv: sample_id, loss of reference k on the same rows;
- resources/audit/gbm_members.txt: the sample ids the target trained on.

    python examples/audit_scores.py
    snakemake --cores 2 all --configfile config/audit_scores.yaml
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import GradientBoostingClassifier

REFERENCES = 8


def losses(model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-sample cross-entropy ``-log p_y`` (probabilities floored at 1e-12)."""
    p = model.predict_proba(x)[np.arange(len(y)), y]
    return -np.log(np.maximum(p, 1e-12))


def fit(x: np.ndarray, y: np.ndarray, seed: int) -> GradientBoostingClassifier:
    return GradientBoostingClassifier(n_estimators=150, max_depth=3, random_state=seed).fit(x, y)


def write_scores(out_dir: str | Path = "resources/audit") -> Path:
    x, y = load_breast_cancer(return_X_y=True)
    ids = np.arange(20_000, 20_000 + len(y))  # your ids, not row positions
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(y))
    private, public = perm[: len(y) // 2], perm[len(y) // 2 :]
    members, population = private[: len(private) // 2], public[: len(public) // 5]
    pool = public[len(public) // 5 :]
    target = fit(x[members], y[members], seed=0)
    audited = np.sort(np.concatenate([private, population]))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "sample_id": ids[audited],
            "loss": losses(target, x[audited], y[audited]),
            "correct": target.predict(x[audited]) == y[audited],
            "population": np.isin(audited, population),
        }
    ).to_csv(out / "gbm_target.csv", index=False)
    for k in range(REFERENCES):
        half = rng.choice(pool, len(pool) // 2, replace=False)
        ref = fit(x[half], y[half], seed=k + 1)
        pd.DataFrame(
            {"sample_id": ids[audited], "loss": losses(ref, x[audited], y[audited])}
        ).to_csv(out / f"gbm_ref{k}.csv", index=False)
    np.savetxt(out / "gbm_members.txt", np.sort(ids[members]), fmt="%d")
    return out


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--out-dir", default="resources/audit")
    print(write_scores(p.parse_args().out_dir))
