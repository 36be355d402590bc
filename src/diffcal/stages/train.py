"""Stages that train models: target/shadow, scratch references, forgetting references.

Roles and their training data (see :mod:`diffcal.splits`):

- ``target``: trained from scratch on ``member``; tested on ``nonmember``.
- ``shadow``: the threshold-selection stand-in for the target, trained from
  scratch with the target's recipe on ``shadow_in``; tested on ``shadow_out``.
- ``scratch`` k: trained from scratch with the target's recipe on a subset of
  ``reference`` (paper eq. 5).
- ``forget_target`` / ``forget_shadow`` k: warm-started from the target / shadow
  and trained further on a subset of ``reference`` with the forgetting recipe
  ("calibration via forgetting", section 3).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from diffcal.data import load_prepared
from diffcal.seeds import derive_seed
from diffcal.splits import ids_with_role, subsample
from diffcal.stages.common import load_models, model_spec, new_model, save_models
from diffcal.train import accuracy, setup_torch, train_model

log = logging.getLogger("diffcal")

#: role -> (training role, test role)
BASE_ROLES = {"target": ("member", "nonmember"), "shadow": ("shadow_in", "shadow_out")}


def _fit(model, data, train_ids, test_ids, *, recipe, seed, device, name) -> dict[str, Any]:
    x_train = data.features(train_ids)
    train_model(
        model, x_train, data.y[train_ids], recipe=recipe, seed=seed, device=device, name=name
    )
    train_acc = accuracy(model, x_train, data.y[train_ids])
    test_acc = accuracy(model, data.features(test_ids), data.y[test_ids])
    log.info(
        "%s: train-acc %.4f test-acc %.4f (n_train=%d)", name, train_acc, test_acc, len(train_ids)
    )
    return {
        "model": model,
        "seed": seed,
        "train_ids": np.asarray(train_ids, dtype=np.int64),
        "train_acc": train_acc,
        "test_acc": test_acc,
    }


def _reference_ids(split: pd.DataFrame, size_fraction: float, seed: int) -> np.ndarray:
    pool = ids_with_role(split, "reference")
    size = max(1, int(round(size_fraction * len(pool))))
    return subsample(pool, size, seed=seed)


def run_train_base(
    *,
    data: str,
    split: str,
    out: str,
    role: str,
    root_seed: int,
    dataset: str,
    split_index: int,
    model_cfg: Mapping[str, Any],
    recipe: Mapping[str, Any],
    threads: int = 1,
) -> None:
    """Train the ``target`` or ``shadow`` model of one split."""
    if role not in BASE_ROLES:
        raise ValueError(f"role must be one of {sorted(BASE_ROLES)}, got {role!r}")
    device = setup_torch(threads)
    d = load_prepared(data)
    sp = pd.read_parquet(split)
    train_role, test_role = BASE_ROLES[role]
    spec = model_spec(d, model_cfg)
    seed = derive_seed(root_seed, dataset, split_index, role, 0)
    entry = _fit(
        new_model(spec, seed),
        d,
        ids_with_role(sp, train_role),
        ids_with_role(sp, test_role),
        recipe=recipe,
        seed=seed,
        device=device,
        name=role,
    )
    save_models(out, spec, [{**entry, "role": role, "index": 0}])


def run_train_scratch(
    *,
    data: str,
    split: str,
    out: str,
    root_seed: int,
    dataset: str,
    split_index: int,
    model_cfg: Mapping[str, Any],
    recipe: Mapping[str, Any],
    n_models: int,
    size_fraction: float,
    threads: int = 1,
) -> None:
    """Train ``n_models`` reference models from scratch on public data."""
    device = setup_torch(threads)
    d = load_prepared(data)
    sp = pd.read_parquet(split)
    spec = model_spec(d, model_cfg)
    held_out = ids_with_role(sp, "shadow_in", "shadow_out")
    entries = []
    for k in range(n_models):
        ids = _reference_ids(
            sp, size_fraction, derive_seed(root_seed, dataset, split_index, "reference_subset", k)
        )
        seed = derive_seed(root_seed, dataset, split_index, "scratch", k)
        entry = _fit(
            new_model(spec, seed),
            d,
            ids,
            held_out,
            recipe=recipe,
            seed=seed,
            device=device,
            name=f"scratch{k}",
        )
        entries.append({**entry, "role": "scratch", "index": k})
    save_models(out, spec, entries)


def run_train_forget(
    *,
    data: str,
    split: str,
    base: str,
    out: str,
    base_role: str,
    root_seed: int,
    dataset: str,
    split_index: int,
    recipe: Mapping[str, Any],
    n_models: int,
    size_fraction: float,
    threads: int = 1,
) -> None:
    """Calibration via forgetting: copy the ``base_role`` model and train it further
    on public data, ``n_models`` times with different seeds and subsets."""
    device = setup_torch(threads)
    d = load_prepared(data)
    sp = pd.read_parquet(split)
    spec, (base_entry,) = load_models(base, device=device)
    held_out = ids_with_role(sp, *BASE_ROLES[base_role][1:])
    entries = []
    for k in range(n_models):
        # Same subsets for forget_target and forget_shadow: the two only differ in
        # their starting point.
        ids = _reference_ids(
            sp, size_fraction, derive_seed(root_seed, dataset, split_index, "forget_subset", k)
        )
        seed = derive_seed(root_seed, dataset, split_index, f"forget_{base_role}", k)
        model = copy.deepcopy(base_entry["model"])
        entry = _fit(
            model,
            d,
            ids,
            held_out,
            recipe=recipe,
            seed=seed,
            device=device,
            name=f"forget_{base_role}{k}",
        )
        entries.append({**entry, "role": f"forget_{base_role}", "index": k})
    save_models(out, spec, entries)
