"""Source ``german_credit`` (UCI Statlog German Credit)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from diffcal.data.fetch import RemoteFile, fetch
from diffcal.data.prepared import Prepared
from diffcal.data.source import Source
from diffcal.data.sources.openml_style import check_options, mean_impute_maxabs, ordinal_codes
from diffcal.data.sources.tabular import encode_tabular

SOURCES = [Source("german_credit", loader="load_german_credit", size=1000)]

UCI = "https://archive.ics.uci.edu/ml/machine-learning-databases"
GERMAN = RemoteFile(
    "uci/statlog-german-credit/german.data",
    f"{UCI}/statlog/german/german.data",
    "b21f3d81db8071257d5ff1deaeba1fd4303b62712e6fcc9715c7a86202cb5871",
)
NUMERIC = [1, 4, 7, 10, 12, 15, 17]
#: Declared levels of each categorical column (0-based) as ``german.doc`` lists
#: them: (first, last) suffix after ``A<attribute number>``.
LEVELS = {
    0: (1, 4),
    2: (0, 4),
    3: (0, 10),
    5: (1, 5),
    6: (1, 5),
    8: (1, 5),
    9: (1, 3),
    11: (1, 4),
    13: (1, 3),
    14: (1, 3),
    16: (1, 4),
    18: (1, 2),
    19: (1, 2),
}


def load_german_credit(
    data_dir: str | None = None, *, encoding: str = "onehot", rows: int | None = None
) -> Prepared:
    """UCI Statlog German Credit (``german.data``): 1,000 x 20 attributes (7 numeric,
    13 categorical).

    ``encoding="onehot"`` (default): numeric columns standardised, categorical
    one-hot (61 inputs); label 1 = good -> 0 (700), 2 = bad -> 1 (300).
    ``encoding="openml"``: the released code's preprocessing
    (:mod:`diffcal.data.sources.openml_style`): 20 ordinal / numeric inputs, max-abs
    scaled; label ``LabelEncoder`` order, bad -> 0, good -> 1. ``rows``: keep the
    first ``rows`` rows of the file after encoding (the released code: 800).
    """
    df = pd.read_csv(fetch(GERMAN, data_dir), sep=" ", header=None)
    check_options(encoding, rows, len(df))
    categorical = [c for c in range(20) if c not in NUMERIC]
    if encoding == "onehot":
        x = encode_tabular(df, NUMERIC, categorical)
        y = df[20].to_numpy() - 1
    else:
        cols = []
        for c in range(20):
            if c in NUMERIC:
                cols.append(df[c].to_numpy(dtype=np.float64))
            else:
                first, last = LEVELS[c]
                levels = [f"A{c + 1}{i}" for i in range(first, last + 1)]
                cols.append(ordinal_codes(df[c].to_numpy(dtype=object), levels))
        x = mean_impute_maxabs(np.stack(cols, axis=1))
        y = 2 - df[20].to_numpy()
    keep = slice(None) if rows is None else slice(0, rows)
    return Prepared(x=x[keep], y=y[keep].astype(np.int64), num_classes=2)
