"""Source ``hepatitis`` (UCI Hepatitis)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from diffcal.data.fetch import RemoteFile, fetch
from diffcal.data.prepared import Prepared
from diffcal.data.source import Source
from diffcal.data.sources.openml_style import check_options, mean_impute_maxabs
from diffcal.data.sources.tabular import encode_tabular

SOURCES = [Source("hepatitis", loader="load_hepatitis", size=155)]

UCI = "https://archive.ics.uci.edu/ml/machine-learning-databases"
HEPATITIS = RemoteFile(
    "uci/hepatitis/hepatitis.data",
    f"{UCI}/hepatitis/hepatitis.data",
    "9971f9d18abb4fc9dd6749eefb0f864b36fa7bdd59f54188c0b148a5c28214bc",
)
NUMERIC = [1, 14, 15, 16, 17, 18]  # age, bilirubin, alk phosphate, sgot, albumin, protime


def load_hepatitis(
    data_dir: str | None = None, *, encoding: str = "onehot", rows: int | None = None
) -> Prepared:
    """UCI Hepatitis: 155 x 19 attributes (6 numeric, 13 yes/no or sex), ``?`` =
    missing (167 cells); label 1 = DIE -> 0 (32), 2 = LIVE -> 1 (123) (the same
    under both encodings: ``LabelEncoder`` puts DIE before LIVE).

    ``encoding="onehot"`` (default): numeric columns median-imputed with missing
    indicators and standardised, the others one-hot with missing as a level (47
    inputs). ``encoding="openml"``: the released code's preprocessing
    (:mod:`diffcal.data.sources.openml_style`): the 19 attributes in file order, the
    nominal ones as ordinal codes (1 -> 0, 2 -> 1), mean-imputed, max-abs scaled.
    ``rows``: keep the first ``rows`` rows after encoding (the released code: 124).
    """
    df = pd.read_csv(fetch(HEPATITIS, data_dir), header=None, na_values="?")
    check_options(encoding, rows, len(df))
    if encoding == "onehot":
        categorical = [c for c in range(2, 20) if c not in NUMERIC]
        x = encode_tabular(df, NUMERIC, categorical)
    else:
        raw = df[list(range(1, 20))].to_numpy(dtype=np.float64)
        nominal = [c - 1 for c in range(2, 20) if c not in NUMERIC]
        raw[:, nominal] -= 1.0  # UCI codes 1, 2 -> ARFF positions 0, 1
        x = mean_impute_maxabs(raw)
    keep = slice(None) if rows is None else slice(0, rows)
    y = (df[0].to_numpy() - 1).astype(np.int64)
    return Prepared(x=x[keep], y=y[keep], num_classes=2)
