"""Membership of the reference pool of the LiRA / RMIA comparison
(:mod:`diffcal.stages.train_pool`). A module of its own so that editing the
attacks does not retrain the pool (:mod:`diffcal.config.codedeps`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from diffcal.core.seeds import derive_seed


def pool_membership(n: int, m: int, *, seed: int) -> np.ndarray:
    """Which of ``m`` pool references trains on which of ``n`` candidates: ``(m, n)``
    bool. References come in complementary pairs: reference ``2j`` trains on a
    random half of the candidates, ``2j + 1`` on the other half, so every candidate
    is IN for exactly half of the first ``M`` references for every even ``M``
    (LiRA draws each half independently; pairs make small budgets balanced). For
    odd ``n`` the larger half goes to alternating references of each pair.

    >>> pool_membership(4, 2, seed=0).sum(axis=0).tolist()
    [1, 1, 1, 1]
    """
    rng = np.random.default_rng(seed)
    out = np.zeros((m, n), dtype=bool)
    for j in range(0, m, 2):
        perm = rng.permutation(n)
        half = (n + (j // 2) % 2) // 2
        out[j, perm[:half]] = True
        if j + 1 < m:
            out[j + 1, perm[half:]] = True
    return out


def membership_of(
    t: int, candidates: np.ndarray, references: int, *, root_seed: int, key: str
) -> np.ndarray:
    """Split ``t``'s ``(references, n)`` pool membership over ``candidates`` ``(n,)``,
    from the seed of (root seed, dataset key, split): the same in every job."""
    seed = derive_seed(root_seed, key, t, "pool_membership")
    return pool_membership(len(candidates), references, seed=seed)


def membership_frame(t: int, candidates: np.ndarray, is_in: np.ndarray) -> pd.DataFrame:
    """Long form of an ``(m, n)`` membership matrix over ``candidates`` ``(n,)``:
    columns ``split`` (int16), ``ref`` (int16), ``sample_id`` (int32), ``is_in``
    (bool), sorted by ref, sample_id (as ``candidates``)."""
    m, n = is_in.shape
    return pd.DataFrame(
        {
            "split": np.full(m * n, t, dtype=np.int16),
            "ref": np.repeat(np.arange(m, dtype=np.int16), n),
            "sample_id": np.tile(candidates.astype(np.int32), m),
            "is_in": is_in.reshape(-1),
        }
    )
