"""Stage ``train_pool``: the reference pool of the LiRA / RMIA comparison
(``compare`` section of the config; docs/comparison.md).

Per split, the *candidates* are the target's evaluation samples (``member`` +
``nonmember``, see :mod:`diffcal.data.splits`). ``M`` pool references each train, with
the target's recipe, on half of the candidates, so that every candidate is IN for
half of them (:func:`diffcal.attacks.pool.pool_membership`: complementary
pairs, drawn from one seed per split). Online attacks use IN and OUT references,
offline attacks and this paper's calibration the OUT ones of the same pool.

Outputs: the models (one file, entries ``role="pool"``, ``index`` j) and the
membership matrix as ``membership.parquet`` with columns ``split`` (int16),
``ref`` (int16), ``sample_id`` (int32), ``is_in`` (bool), sorted by split, ref,
sample_id.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from diffcal.attacks.pool import pool_membership
from diffcal.core.io import write_parquet
from diffcal.core.seeds import derive_seed
from diffcal.data.prepared import load_prepared
from diffcal.data.splits import ids_with_role, read_splits
from diffcal.training.fit import fit_all
from diffcal.training.model_files import model_spec, new_model, save_models
from diffcal.training.train import setup_torch

log = logging.getLogger("diffcal")


def membership_frame(t: int, candidates: np.ndarray, is_in: np.ndarray) -> pd.DataFrame:
    """Long form of an ``(m, n)`` membership matrix over ``candidates`` ``(n,)``."""
    m, n = is_in.shape
    return pd.DataFrame(
        {
            "split": np.full(m * n, t, dtype=np.int16),
            "ref": np.repeat(np.arange(m, dtype=np.int16), n),
            "sample_id": np.tile(candidates.astype(np.int32), m),
            "is_in": is_in.reshape(-1),
        }
    )


def run_train_pool(
    *,
    data: str,
    split: str,
    models: str,
    membership: str,
    seeds: Mapping[str, Any],
    model_cfg: Mapping[str, Any],
    recipe: Mapping[str, Any],
    references: int,
    threads: int = 1,
) -> None:
    """Train ``references`` pool models per split of the part (models of one shape
    train together, :mod:`diffcal.training.stacked`) and save them with their membership."""
    device = setup_torch(threads)
    root_seed, dataset = seeds["root_seed"], seeds["key"]
    d = load_prepared(data)
    spec = model_spec(d, model_cfg)
    jobs, frames = [], []
    for t, sp in read_splits(split).items():
        candidates = ids_with_role(sp, "member", "nonmember")
        is_in = pool_membership(
            len(candidates), references, seed=derive_seed(root_seed, dataset, t, "pool_membership")
        )
        frames.append(membership_frame(t, candidates, is_in))
        for j in range(references):
            seed = derive_seed(root_seed, dataset, t, "pool", j)
            jobs.append(
                {
                    "model": new_model(spec, seed),
                    "seed": seed,
                    "name": f"split{t} pool{j}",
                    "train_ids": candidates[is_in[j]],
                    "test_ids": candidates[~is_in[j]],
                    "meta": {"split": t, "role": "pool", "index": j},
                }
            )
    log.info("training %d pool references (%d per split)", len(jobs), references)
    entries = fit_all(d, jobs, recipe=recipe, device=device)
    save_models(models, spec, entries)
    write_parquet(pd.concat(frames, ignore_index=True), membership)
