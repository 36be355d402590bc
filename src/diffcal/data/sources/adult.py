"""Source ``adult`` (UCI Adult)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from diffcal.data.fetch import RemoteFile, fetch
from diffcal.data.prepared import Prepared
from diffcal.data.source import Source
from diffcal.data.sources.tabular import encode_tabular

SOURCES = [Source("adult", loader="load_adult", size=48842)]

UCI = "https://archive.ics.uci.edu/ml/machine-learning-databases"
ADULT_TRAIN = RemoteFile(
    "uci/adult/adult.data",
    f"{UCI}/adult/adult.data",
    "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d",
)
ADULT_TEST = RemoteFile(
    "uci/adult/adult.test",
    f"{UCI}/adult/adult.test",
    "a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05",
)

ADULT_COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
]


def load_adult(data_dir: str | None = None) -> Prepared:
    """UCI Adult: ``adult.data`` (32,561) + ``adult.test`` (16,281, first line is
    junk, labels end with '.') = 48,842 rows; 6 numeric, 8 categorical attributes,
    ``?`` = missing (a category of its own); label ``>50K`` -> 1 (11,687)."""
    kw = dict(header=None, names=ADULT_COLUMNS, skipinitialspace=True, na_values="?")
    df = pd.concat(
        [
            pd.read_csv(fetch(ADULT_TRAIN, data_dir), **kw),
            pd.read_csv(fetch(ADULT_TEST, data_dir), skiprows=1, **kw),
        ],
        ignore_index=True,
    )
    df = df.dropna(subset=["income"])
    numeric = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
    categorical = [c for c in ADULT_COLUMNS[:-1] if c not in numeric]
    y = df["income"].str.rstrip(".").map({"<=50K": 0, ">50K": 1})
    if y.isna().any():
        raise ValueError(f"unexpected Adult labels: {sorted(set(df['income'][y.isna()]))}")
    return Prepared(
        x=encode_tabular(df, numeric, categorical), y=y.to_numpy(np.int64), num_classes=2
    )
