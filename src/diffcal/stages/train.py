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

Early stopping of references (paper section 4.1; ``references.early_stopping``)
keeps the epoch with the highest accuracy on a public validation set that none
of the models involved trained on: ``shadow_in`` + ``shadow_out`` for scratch
references (symmetric in the shadow's members and non-members), ``shadow_out``
for both kinds of forgetting reference (the shadow trained on ``shadow_in``; the
target's and the shadow's forgetting references get the same set so that the
threshold-selection stand-in mirrors the target's procedure). The evaluation
split (``member`` / ``nonmember``) is never read for stopping or tuning.

Forgetting-recipe tuning (``forget_tuning``): every candidate recipe of the grid
fine-tunes a copy of the *shadow* on the first forgetting subset; the candidate
whose train / ``shadow_out`` accuracy is closest to the shadow's own is used by
both forgetting rules of the split (:mod:`diffcal.tune`).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from diffcal.data import Prepared, load_prepared
from diffcal.io import read_json, write_csv, write_json
from diffcal.seeds import derive_seed
from diffcal.splits import ids_with_role, subsample
from diffcal.stages.common import load_models, model_spec, new_model, save_models
from diffcal.train import accuracy, setup_torch, train_model
from diffcal.tune import accuracy_distance, pick_closest, recipe_grid

log = logging.getLogger("diffcal")

#: role -> (training role, test role)
BASE_ROLES = {"target": ("member", "nonmember"), "shadow": ("shadow_in", "shadow_out")}


def _fit(
    model, data: Prepared, train_ids, test_ids, *, recipe, seed, device, name,
    val_ids=None, patience=None,
) -> dict[str, Any]:  # fmt: skip
    x_train = data.features(train_ids)
    val = None if val_ids is None else (data.features(val_ids), data.y[val_ids])
    result = train_model(
        model, x_train, data.y[train_ids], recipe=recipe, seed=seed, device=device, name=name,
        val=val, patience=patience,
    )  # fmt: skip
    train_acc = accuracy(model, x_train, data.y[train_ids])
    test_acc = accuracy(model, data.features(test_ids), data.y[test_ids])
    log.info(
        "%s: train-acc %.4f test-acc %.4f (n_train=%d)", name, train_acc, test_acc, len(train_ids)
    )
    entry = {
        "model": model,
        "seed": seed,
        "train_ids": np.asarray(train_ids, dtype=np.int64),
        "train_acc": train_acc,
        "test_acc": test_acc,
        "recipe": dict(recipe),
    }
    if val_ids is not None:
        entry.update(best_epoch=result.best_epoch, epochs_run=result.epochs_run)
    return entry


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


def _stopping(sp: pd.DataFrame, early_stopping: bool, patience, *roles: str) -> dict:
    """Keyword arguments of :func:`_fit` for early stopping on the ``roles`` samples."""
    if not early_stopping:
        return {}
    return {"val_ids": ids_with_role(sp, *roles), "patience": patience}


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
    early_stopping: bool = False,
    patience: int | None = None,
    threads: int = 1,
) -> None:
    """Train ``n_models`` reference models from scratch on public data."""
    device = setup_torch(threads)
    d = load_prepared(data)
    sp = pd.read_parquet(split)
    spec = model_spec(d, model_cfg)
    held_out = ids_with_role(sp, "shadow_in", "shadow_out")
    stopping = _stopping(sp, early_stopping, patience, "shadow_in", "shadow_out")
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
            **stopping,
        )
        entries.append({**entry, "role": "scratch", "index": k})
    save_models(out, spec, entries)


def _forget_ids(sp, root_seed, dataset, split_index, size_fraction, k) -> np.ndarray:
    # Same subsets for forget_target, forget_shadow and the tuning candidates:
    # they only differ in their starting point (and recipe).
    return _reference_ids(
        sp, size_fraction, derive_seed(root_seed, dataset, split_index, "forget_subset", k)
    )


def tuned_recipe(recipe: Mapping[str, Any], tuning: str | None) -> dict[str, Any]:
    """``recipe`` with the choice of a :func:`run_tune_forget` JSON file applied."""
    if tuning is None:
        return dict(recipe)
    return {**recipe, **read_json(tuning)["chosen"]}


def run_tune_forget(
    *,
    data: str,
    split: str,
    shadow: str,
    out_json: str,
    out_csv: str,
    root_seed: int,
    dataset: str,
    split_index: int,
    recipe: Mapping[str, Any],
    grid: Mapping[str, list],
    size_fraction: float,
    early_stopping: bool = False,
    patience: int | None = None,
    threads: int = 1,
) -> None:
    """Tune the forgetting recipe of one split on public data (module docstring).

    Writes ``out_csv`` (one row per candidate: its grid values, accuracies,
    distance, chosen flag) and ``out_json`` (``chosen``: the grid values picked;
    ``goal``: the shadow's train / test accuracy).
    """
    device = setup_torch(threads)
    d = load_prepared(data)
    sp = pd.read_parquet(split)
    _, (base,) = load_models(shadow, device=device)
    ids = _forget_ids(sp, root_seed, dataset, split_index, size_fraction, 0)
    test_ids = ids_with_role(sp, "shadow_out")
    stopping = _stopping(sp, early_stopping, patience, "shadow_out")
    seed = derive_seed(root_seed, dataset, split_index, "forget_tune", 0)
    candidates = recipe_grid(grid)
    rows = []
    for i, cand in enumerate(candidates):
        log.info("candidate %d/%d: %s", i + 1, len(candidates), cand)
        entry = _fit(
            copy.deepcopy(base["model"]), d, ids, test_ids, recipe={**recipe, **cand},
            seed=seed, device=device, name=f"tune{i}", **stopping,
        )  # fmt: skip
        rows.append({**cand, "train_acc": entry["train_acc"], "test_acc": entry["test_acc"],
                     "best_epoch": entry.get("best_epoch")})  # fmt: skip
    table = pd.DataFrame(rows)
    goal = {"train_acc": float(base["train_acc"]), "test_acc": float(base["test_acc"])}
    table["distance"] = accuracy_distance(
        table["train_acc"], table["test_acc"], goal["train_acc"], goal["test_acc"]
    )
    best = pick_closest(table["train_acc"], table["test_acc"], goal["train_acc"], goal["test_acc"])
    table["chosen"] = np.arange(len(table)) == best
    log.info("shadow goal %s; chosen %s", goal, candidates[best])
    write_csv(table, out_csv)
    write_json(out_json, {"chosen": candidates[best], "goal": goal})


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
    tuning: str | None = None,
    early_stopping: bool = False,
    patience: int | None = None,
    threads: int = 1,
) -> None:
    """Calibration via forgetting: copy the ``base_role`` model and train it further
    on public data, ``n_models`` times with different seeds and subsets, with the
    recipe chosen by :func:`run_tune_forget` when ``tuning`` is given."""
    device = setup_torch(threads)
    d = load_prepared(data)
    sp = pd.read_parquet(split)
    spec, (base_entry,) = load_models(base, device=device)
    held_out = ids_with_role(sp, *BASE_ROLES[base_role][1:])
    stopping = _stopping(sp, early_stopping, patience, "shadow_out")
    recipe = tuned_recipe(recipe, tuning)
    entries = []
    for k in range(n_models):
        ids = _forget_ids(sp, root_seed, dataset, split_index, size_fraction, k)
        seed = derive_seed(root_seed, dataset, split_index, f"forget_{base_role}", k)
        entry = _fit(
            copy.deepcopy(base_entry["model"]),
            d,
            ids,
            held_out,
            recipe=recipe,
            seed=seed,
            device=device,
            name=f"forget_{base_role}{k}",
            **stopping,
        )
        entries.append({**entry, "role": f"forget_{base_role}", "index": k})
    save_models(out, spec, entries)
