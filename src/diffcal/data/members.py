"""Member lists: the sample ids a target trained on, for a given target
(:mod:`diffcal.training.checkpoint`) and for an audit of scores
(:mod:`diffcal.data.user_scores`). A ``.npy`` of integers, a ``.parquet`` with a
``sample_id`` column (else its first column), or a text / CSV file with one id per
line (an optional header)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd


def read_members(path: str | os.PathLike) -> np.ndarray:
    """The member ids of ``path``, sorted int64; ValueError (one line) if a value is
    not an integer, negative or repeated."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"members file {path} does not exist")
    name = p.name.lower()
    if name.endswith(".npy"):
        raw = np.load(p, allow_pickle=False).ravel()
    elif name.endswith(".parquet"):
        frame = pd.read_parquet(p)
        raw = frame["sample_id" if "sample_id" in frame else frame.columns[0]].to_numpy()
    else:
        frame = pd.read_csv(p, header=None, comment="#")
        col = frame.iloc[:, 0]
        if len(col) and not str(col.iloc[0]).strip().lstrip("-").isdigit():
            col = col.iloc[1:]  # a header line
        raw = pd.to_numeric(col, errors="coerce").to_numpy()
    values = np.asarray(raw, dtype=np.float64)
    if len(values) == 0:
        raise ValueError(f"members file {path} lists no sample ids")
    if not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
        raise ValueError(f"members file {path}: sample ids must be integers")
    ids = values.astype(np.int64)
    if ids.min() < 0:
        raise ValueError(f"members file {path}: negative sample id {int(ids.min())}")
    uniq, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        raise ValueError(f"members file {path}: sample id {int(uniq[counts > 1][0])} is repeated")
    return uniq


def check_members_range(ids: np.ndarray, n: int, path: str) -> None:
    """ValueError (one line) if an id is not a row of an ``n``-row dataset."""
    if len(ids) and ids.max() >= n:
        raise ValueError(f"members file {path}: sample id {int(ids.max())} >= {n} rows")


def rows_of_ids(members: np.ndarray, ids: np.ndarray, path: str) -> np.ndarray:
    """Row positions (sorted int64) of the user's ``members`` ids in ``ids`` (the
    data's id column, ``(n,)`` unique); ValueError (one line) for an unknown id."""
    order = np.argsort(ids, kind="stable")
    pos = np.searchsorted(ids[order], members)
    pos = np.minimum(pos, len(ids) - 1)
    found = ids[order][pos] == members
    if not found.all():
        raise ValueError(f"members file {path}: id {int(members[~found][0])} is not in the data")
    return np.sort(order[pos])


def member_rows(d, members: str | os.PathLike | None, where: str = "the data") -> np.ndarray:
    """Row positions (sorted int64) of a given target's members in the prepared
    data ``d``: its ``members`` file (the user's ids mapped to rows where the data
    have an id column), else the data's member column (a table's
    ``member_column``); ``where`` names the data in the error."""
    if members:
        ids = read_members(members)
        if d.ids is not None:  # the user's ids (a table's id column) -> row positions
            ids = rows_of_ids(ids, d.ids, str(members))
        check_members_range(ids, d.n, str(members))
        return ids
    if d.members is None:
        raise ValueError(f"{where} holds no members column (source_kwargs.member_column)")
    return np.flatnonzero(d.members).astype(np.int64)
