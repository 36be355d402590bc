"""Source ``german_credit`` (UCI Statlog German Credit)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from diffcal.fetch import RemoteFile, fetch
from diffcal.prepared import Prepared
from diffcal.sources.tabular import encode_tabular

UCI = "https://archive.ics.uci.edu/ml/machine-learning-databases"
GERMAN = RemoteFile(
    "uci/statlog-german-credit/german.data",
    f"{UCI}/statlog/german/german.data",
    "b21f3d81db8071257d5ff1deaeba1fd4303b62712e6fcc9715c7a86202cb5871",
)


def load_german_credit(data_dir: str | None = None) -> Prepared:
    """UCI Statlog German Credit (``german.data``): 1,000 x 20 attributes (7 numeric,
    13 categorical), label 1 = good -> 0 (700), 2 = bad -> 1 (300)."""
    df = pd.read_csv(fetch(GERMAN, data_dir), sep=" ", header=None)
    numeric = [1, 4, 7, 10, 12, 15, 17]
    categorical = [c for c in range(20) if c not in numeric]
    x = encode_tabular(df, numeric, categorical)
    return Prepared(x=x, y=(df[20].to_numpy() - 1).astype(np.int64), num_classes=2)
