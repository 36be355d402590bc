"""Source ``hepatitis`` (UCI Hepatitis)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from diffcal.fetch import RemoteFile, fetch
from diffcal.prepared import Prepared
from diffcal.sources.tabular import encode_tabular

UCI = "https://archive.ics.uci.edu/ml/machine-learning-databases"
HEPATITIS = RemoteFile(
    "uci/hepatitis/hepatitis.data",
    f"{UCI}/hepatitis/hepatitis.data",
    "9971f9d18abb4fc9dd6749eefb0f864b36fa7bdd59f54188c0b148a5c28214bc",
)


def load_hepatitis(data_dir: str | None = None) -> Prepared:
    """UCI Hepatitis: 155 x 19 attributes (6 numeric, 13 yes/no or sex), ``?`` =
    missing (167 cells); label 1 = DIE -> 0 (32), 2 = LIVE -> 1 (123)."""
    df = pd.read_csv(fetch(HEPATITIS, data_dir), header=None, na_values="?")
    numeric = [1, 14, 15, 16, 17, 18]  # age, bilirubin, alk phosphate, sgot, albumin, protime
    categorical = [c for c in range(2, 20) if c not in numeric]
    x = encode_tabular(df, numeric, categorical)
    return Prepared(x=x, y=(df[0].to_numpy() - 1).astype(np.int64), num_classes=2)
