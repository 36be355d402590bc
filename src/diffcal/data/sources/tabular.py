"""Preprocessing shared by the tabular sources (see :mod:`diffcal.data.sources`).

Tabular preprocessing: numeric columns are standardised with the mean and standard
deviation of the *whole* dataset. This is a fixed, label-free transform applied
identically to members, non-members and public samples, so it cannot make members
look different from non-members (fitting it on the target's members only would).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def standardize(x: np.ndarray) -> np.ndarray:
    """Standardise columns with whole-dataset statistics (see module docstring).
    Constant columns become 0. ``x``: ``(n, d)`` -> ``(n, d)`` float32."""
    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std[std == 0] = 1.0
    return ((x - mean) / std).astype(np.float32)


def encode_tabular(frame: pd.DataFrame, numeric: list, categorical: list) -> np.ndarray:
    """Numeric columns: missing values imputed with the column median plus a 0/1
    missing-indicator column (only for columns with missing values), then
    standardised (:func:`standardize`). Categorical columns: one-hot, with a missing
    value as a category of its own. Categories are sorted, so the encoding does not
    depend on row order. Returns ``(n, d)`` float32."""
    parts = []
    for col in numeric:
        v = pd.to_numeric(frame[col], errors="raise").astype(np.float64)
        missing = v.isna().to_numpy()
        parts.append(v.fillna(v.median()).to_numpy()[:, None])
        if missing.any():
            parts.append(missing.astype(np.float64)[:, None])
    num = standardize(np.hstack(parts)) if parts else np.zeros((len(frame), 0), np.float32)
    cats = []
    for col in categorical:
        v = frame[col].astype("string").fillna("<missing>").to_numpy(dtype=object)
        levels = np.array(sorted(set(v)), dtype=object)
        cats.append((v[:, None] == levels[None, :]).astype(np.float32))
    return np.hstack([num, *cats]).astype(np.float32)
