"""Source ``table``: your own tabular data, one CSV or Parquet file.

Options (``source_kwargs``):

- ``path``: the file (``.csv``, ``.csv.gz``, ``.tsv``, ``.parquet``); a relative path
  is relative to the directory Snakemake runs in. Its content is an input of the
  ``prepare`` job: replacing the file reruns that dataset.
- ``label``: the label column (default ``label``). Its distinct values, sorted,
  become the classes ``0..C-1``; a row without a label is an error.
- ``encoding``: ``onehot`` (default) or ``none``.
- ``categorical``: the columns to one-hot encode (default: every column that is not
  numeric). Only with ``encoding: onehot``.
- ``drop``: columns to leave out of the features.
- ``id``: a column of unique integer sample ids (left out of the features). The
  audit report and its risk table then name samples by these ids, and a given
  target's ``members`` file lists them (not row positions).

Missing values, with ``encoding: onehot`` (:func:`diffcal.data.sources.tabular.encode_tabular`):
a numeric column is imputed with its median and gets a 0/1 missing-indicator column
(only if it has missing values); a categorical column treats "missing" as a
category of its own; then numeric columns are standardised with whole-dataset
statistics (a label-free transform applied to members and non-members alike). With
``encoding: none`` the features are used as they are: every feature column must be
numeric and complete, else the error names the columns.

Inside the pipeline (split, scores and attack files) samples are row positions in
the file, whether or not there is an ``id`` column.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from diffcal.data.prepared import Prepared
from diffcal.data.sources.tabular import encode_tabular

ENCODINGS = ("onehot", "none")
#: Rows read to check a CSV's columns before any job runs (the loader checks all).
CHECK_ROWS = 1000
#: The options of :func:`load_table` besides ``path``, with their defaults.
OPTION_DEFAULTS = {
    "label": "label",
    "encoding": "onehot",
    "categorical": None,
    "drop": (),
    "id": None,
}


def read_file(path: Path, nrows: int | None = None) -> pd.DataFrame:
    name = path.name.lower()
    if name.endswith(".parquet"):
        frame = pd.read_parquet(path)
        return frame if nrows is None else frame.head(nrows)
    if name.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz")):
        sep = "\t" if ".tsv" in name else ","
        return pd.read_csv(path, sep=sep, nrows=nrows)
    raise ValueError(f"{path}: unknown table format; use .csv, .csv.gz, .tsv or .parquet")


def _columns(
    frame: pd.DataFrame,
    path: Path,
    *,
    label: str,
    encoding: str,
    categorical: Sequence[str] | None,
    drop: Sequence[str],
    id: str | None = None,  # noqa: A002 (the option's name)
) -> tuple[list[str], list[str]]:
    """(numeric, categorical) feature columns; raises ValueError naming what is wrong."""
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding {encoding!r} is not one of {list(ENCODINGS)}")
    drop = [*drop, *([id] if id else [])]
    missing = [c for c in [label, *drop, *(categorical or [])] if c not in frame.columns]
    if missing:
        raise ValueError(f"{path} has no column(s) {missing}; columns: {list(frame.columns)}")
    features = [c for c in frame.columns if c != label and c not in drop]
    if not features:
        raise ValueError(f"{path}: no feature columns besides the label {label!r}")
    is_numeric = {c: pd.api.types.is_numeric_dtype(frame[c]) for c in features}
    if encoding == "none":
        if categorical:
            raise ValueError("categorical columns need encoding: onehot")
        text = [c for c in features if not is_numeric[c]]
        if text:
            raise ValueError(f"{path}: encoding none needs numeric features; text column(s) {text}")
        return features, []
    cats = list(categorical) if categorical is not None else [
        c for c in features if not is_numeric[c]
    ]  # fmt: skip
    numeric = [c for c in features if c not in cats]
    text = [c for c in numeric if not is_numeric[c]]
    if text:
        raise ValueError(f"{path}: column(s) {text} are not numeric; list them in categorical")
    return numeric, cats


def check_table(*, path: str, **options) -> None:
    """The config check (before any job): the file exists and its first
    :data:`CHECK_ROWS` rows have the columns the options (those of
    :func:`load_table`) name. Raises ValueError."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"file {path} does not exist")
    _columns(read_file(p, nrows=CHECK_ROWS), p, **{**OPTION_DEFAULTS, **options})


def load_table(
    data_dir: str | None = None,
    *,
    path: str,
    label: str = "label",
    encoding: str = "onehot",
    categorical: Sequence[str] | None = None,
    drop: Sequence[str] = (),
    id: str | None = None,  # noqa: A002 (the option's name)
) -> Prepared:
    """Read the file once and encode it (see the module docstring). ``data_dir`` is
    not used: the file is where ``path`` says."""
    p = Path(path)
    frame = read_file(p)
    numeric, cats = _columns(
        frame, p, label=label, encoding=encoding, categorical=categorical, drop=drop, id=id
    )
    ids = None if id is None else _ids(frame[id], p, id)
    if frame[label].isna().any():
        raise ValueError(f"{path}: {int(frame[label].isna().sum())} row(s) have no label")
    classes, y = np.unique(frame[label].to_numpy(), return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"{path}: label column {label!r} has one class ({classes[0]!r})")
    if encoding == "none":
        block = frame[numeric]
        incomplete = [c for c in numeric if block[c].isna().any()]
        if incomplete:
            raise ValueError(
                f"{path}: encoding none needs complete features; missing in {incomplete}"
            )
        x = block.to_numpy(dtype=np.float32)
    else:
        x = encode_tabular(frame, numeric, cats)
    return Prepared(x=x, y=y.astype(np.int64), num_classes=len(classes), ids=ids)


def _ids(column: pd.Series, path: Path, name: str) -> np.ndarray:
    """The ``id`` column as int64; ValueError (one line) unless unique integers."""
    values = pd.to_numeric(column, errors="coerce").to_numpy(np.float64)
    if not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
        raise ValueError(f"{path}: id column {name!r} must hold integers (no gaps)")
    ids = values.astype(np.int64)
    uniq, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        raise ValueError(f"{path}: id {int(uniq[counts > 1][0])} is repeated in column {name!r}")
    return ids
