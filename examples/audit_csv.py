"""Walkthrough (a): your CSV and your model definition.

Writes resources/audit/patients.csv: the breast-cancer set of scikit-learn as a
clinic might export it - a text label, a categorical column, a few missing values.
Then audit it with config/audit_csv.yaml (the model is examples/models/small_mlp.py):

    python examples/audit_csv.py
    snakemake --cores 2 all --configfile config/audit_csv.yaml
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer


def write_csv(out_dir: str | Path = "resources/audit") -> Path:
    bc = load_breast_cancer()
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(bc.data, columns=[c.replace(" ", "_") for c in bc.feature_names])
    frame["site"] = rng.choice(["north", "south", "east"], len(frame))  # categorical
    frame.loc[rng.choice(len(frame), 12, replace=False), "mean_texture"] = np.nan
    frame["diagnosis"] = np.where(bc.target == 1, "benign", "malignant")  # text label
    frame.insert(0, "patient_id", np.arange(10_000, 10_000 + len(frame)))
    path = Path(out_dir) / "patients.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--out-dir", default="resources/audit")
    print(write_csv(p.parse_args().out_dir))
