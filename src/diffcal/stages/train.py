"""Stages that train models: target/shadow, scratch references, forgetting references.

Every stage handles one *part*: the splits listed in its ``split.parquet`` (all T
splits of a small dataset, or one split of a large one; ``splits_per_job``). The
models of one kind for every split of the part train together where they can
(:mod:`diffcal.stacked`); each model keeps its own seed, derived from (root seed,
dataset, split, role, index) exactly as when every split had its own job, and its
file entry records its ``split``.

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
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from diffcal.data import Prepared, load_prepared
from diffcal.io import read_json, write_csv, write_json
from diffcal.seeds import derive_seed
from diffcal.splits import ids_with_role, read_splits, subsample
from diffcal.stacked import FitTask, train_together
from diffcal.stages.common import load_models, model_spec, new_model, save_models
from diffcal.train import accuracy, setup_torch
from diffcal.tune import accuracy_distance, pick_closest, recipe_grid

log = logging.getLogger("diffcal")

#: role -> (training role, test role)
BASE_ROLES = {"target": ("member", "nonmember"), "shadow": ("shadow_in", "shadow_out")}


def _fit_all(
    d: Prepared,
    jobs: Sequence[Mapping[str, Any]],
    *,
    recipe: Mapping[str, Any],
    device,
    patience: int | None = None,
    dp: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Train the models of ``jobs`` together and return their file entries.

    Each job: ``model``, ``train_ids``, ``test_ids``, ``seed``, ``name``, optional
    ``val_ids`` (early stopping), and ``meta`` (split, role, index) copied into
    the entry. With ``dp`` (a variant's DP settings) every model trains alone
    with DP-SGD (:func:`diffcal.dp.train_dp`; no early stopping) and its entry
    records the requested and spent epsilon.
    """
    if dp is not None:
        return _fit_all_dp(d, jobs, recipe=recipe, device=device, dp=dp)
    tasks = [
        FitTask(
            j["model"],
            d.features(j["train_ids"]),
            d.y[j["train_ids"]],
            j["seed"],
            j["name"],
            None if j.get("val_ids") is None else (d.features(j["val_ids"]), d.y[j["val_ids"]]),
        )  # fmt: skip
        for j in jobs
    ]
    results = train_together(tasks, recipe=recipe, device=device, patience=patience)
    entries = []
    for j, task, result in zip(jobs, tasks, results, strict=True):
        train_acc = accuracy(task.model, task.x, task.y)
        test_acc = accuracy(task.model, d.features(j["test_ids"]), d.y[j["test_ids"]])
        log.info("%s: train-acc %.4f test-acc %.4f (n_train=%d)", j["name"], train_acc,
                 test_acc, len(task.y))  # fmt: skip
        entry = {
            **j["meta"],
            "model": task.model,
            "seed": j["seed"],
            "train_ids": np.asarray(j["train_ids"], dtype=np.int64),
            "train_acc": train_acc,
            "test_acc": test_acc,
            "recipe": dict(recipe),
        }
        if j.get("val_ids") is not None:
            entry.update(best_epoch=result.best_epoch, epochs_run=result.epochs_run)
        entries.append(entry)
    return entries


def _fit_all_dp(d: Prepared, jobs, *, recipe, device, dp) -> list[dict[str, Any]]:
    from diffcal.dp import train_dp

    entries = []
    for j in jobs:
        if j.get("val_ids") is not None:
            log.info("%s: DP-SGD trains every epoch (no early stopping)", j["name"])
        x, y = d.features(j["train_ids"]), d.y[j["train_ids"]]
        res = train_dp(j["model"], x, y, recipe=recipe, dp=dp, seed=j["seed"], device=device,
                       name=j["name"])  # fmt: skip
        train_acc = accuracy(j["model"], x, y)
        test_acc = accuracy(j["model"], d.features(j["test_ids"]), d.y[j["test_ids"]])
        log.info("%s: train-acc %.4f test-acc %.4f (n_train=%d)", j["name"], train_acc,
                 test_acc, len(y))  # fmt: skip
        entries.append({
            **j["meta"], "model": j["model"], "seed": j["seed"],
            "train_ids": np.asarray(j["train_ids"], dtype=np.int64),
            "train_acc": train_acc, "test_acc": test_acc, "recipe": dict(recipe),
            **res.as_dict(),
        })  # fmt: skip
    return entries


def _reference_ids(split: pd.DataFrame, size_fraction: float, seed: int) -> np.ndarray:
    pool = ids_with_role(split, "reference")
    size = max(1, int(round(size_fraction * len(pool))))
    return subsample(pool, size, seed=seed)


def _val_ids(sp: pd.DataFrame, early_stopping: bool, *roles: str) -> np.ndarray | None:
    """Validation samples for early stopping on the ``roles`` samples, or None."""
    return ids_with_role(sp, *roles) if early_stopping else None


def run_train_base(
    *,
    data: str,
    split: str,
    out: Mapping[str, str],
    root_seed: int,
    dataset: str,
    model_cfg: Mapping[str, Any],
    recipe: Mapping[str, Any],
    dp: Mapping[str, Any] | None = None,
    threads: int = 1,
) -> None:
    """Train the ``target`` and the ``shadow`` model of every split of the part.

    ``out``: role (``target``, ``shadow``) -> model file. ``dp``: the variant's
    DP settings: the target trains with DP-SGD, the shadow too when
    ``dp["references"] == "private"``.
    """
    device = setup_torch(threads)
    d = load_prepared(data)
    sps = read_splits(split)
    spec = model_spec(d, model_cfg)
    for role, path in out.items():
        if role not in BASE_ROLES:
            raise ValueError(f"role must be one of {sorted(BASE_ROLES)}, got {role!r}")
        train_role, test_role = BASE_ROLES[role]
        jobs = []
        for t, sp in sps.items():
            seed = derive_seed(root_seed, dataset, t, role, 0)
            jobs.append({
                "model": new_model(spec, seed), "seed": seed, "name": f"split{t} {role}",
                "train_ids": ids_with_role(sp, train_role),
                "test_ids": ids_with_role(sp, test_role),
                "meta": {"split": t, "role": role, "index": 0},
            })  # fmt: skip
        private = dp if role == "target" or _private_refs(dp) else None
        save_models(path, spec, _fit_all(d, jobs, recipe=recipe, device=device, dp=private))


def _private_refs(dp: Mapping[str, Any] | None) -> bool:
    """Whether the attacker's shadow and scratch references train with DP too."""
    return dp is not None and dp.get("references") == "private"


def run_train_scratch(
    *,
    data: str,
    split: str,
    out: str,
    root_seed: int,
    dataset: str,
    model_cfg: Mapping[str, Any],
    recipe: Mapping[str, Any],
    n_models: int,
    size_fraction: float,
    early_stopping: bool = False,
    patience: int | None = None,
    dp: Mapping[str, Any] | None = None,
    threads: int = 1,
) -> None:
    """Train ``n_models`` reference models from scratch on public data, per split
    (with DP-SGD when the variant's ``dp`` asks for private references)."""
    device = setup_torch(threads)
    d = load_prepared(data)
    spec = model_spec(d, model_cfg)
    jobs = []
    for t, sp in read_splits(split).items():
        held_out = ids_with_role(sp, "shadow_in", "shadow_out")
        for k in range(n_models):
            seed = derive_seed(root_seed, dataset, t, "scratch", k)
            jobs.append({
                "model": new_model(spec, seed), "seed": seed, "name": f"split{t} scratch{k}",
                "train_ids": _reference_ids(
                    sp, size_fraction, derive_seed(root_seed, dataset, t, "reference_subset", k)
                ),
                "test_ids": held_out,
                "val_ids": _val_ids(sp, early_stopping, "shadow_in", "shadow_out"),
                "meta": {"split": t, "role": "scratch", "index": k},
            })  # fmt: skip
    private = dp if _private_refs(dp) else None
    entries = _fit_all(d, jobs, recipe=recipe, device=device, patience=patience, dp=private)
    save_models(out, spec, entries)


def _forget_ids(sp, root_seed, dataset, split_index, size_fraction, k) -> np.ndarray:
    # Same subsets for forget_target, forget_shadow and the tuning candidates:
    # they only differ in their starting point (and recipe).
    return _reference_ids(
        sp, size_fraction, derive_seed(root_seed, dataset, split_index, "forget_subset", k)
    )


def tuned_recipe(recipe: Mapping[str, Any], tuning: str | None, split: int) -> dict[str, Any]:
    """``recipe`` with the choice of a :func:`run_tune_forget` JSON file for split
    ``split`` applied."""
    if tuning is None:
        return dict(recipe)
    return {**recipe, **read_json(tuning)[str(split)]["chosen"]}


def _by_split(entries: list[dict]) -> dict[int, dict]:
    """Entries of single-model files (target, shadow) keyed by split."""
    return {int(e["split"]): e for e in entries}


def run_tune_forget(
    *,
    data: str,
    split: str,
    shadow: str,
    out_json: str,
    out_csv: str,
    root_seed: int,
    dataset: str,
    recipe: Mapping[str, Any],
    grid: Mapping[str, list],
    size_fraction: float,
    early_stopping: bool = False,
    patience: int | None = None,
    threads: int = 1,
) -> None:
    """Tune the forgetting recipe of every split of the part on public data
    (module docstring).

    Writes ``out_csv`` (one row per split and candidate: ``split``, its grid
    values, accuracies, distance, chosen flag) and ``out_json`` (split -> ``chosen``:
    the grid values picked; ``goal``: the shadow's train / test accuracy).
    """
    device = setup_torch(threads)
    d = load_prepared(data)
    sps = read_splits(split)
    _, shadow_entries = load_models(shadow, device=device)
    bases = _by_split(shadow_entries)
    candidates = recipe_grid(grid)
    accs: dict[tuple[int, int], dict] = {}
    for i, cand in enumerate(candidates):
        log.info("candidate %d/%d: %s", i + 1, len(candidates), cand)
        jobs = []
        for t, sp in sps.items():
            jobs.append({
                "model": copy.deepcopy(bases[t]["model"]),
                "seed": derive_seed(root_seed, dataset, t, "forget_tune", 0),
                "name": f"split{t} tune{i}",
                "train_ids": _forget_ids(sp, root_seed, dataset, t, size_fraction, 0),
                "test_ids": ids_with_role(sp, "shadow_out"),
                "val_ids": _val_ids(sp, early_stopping, "shadow_out"),
                "meta": {"split": t},
            })  # fmt: skip
        for e in _fit_all(d, jobs, recipe={**recipe, **cand}, device=device, patience=patience):
            accs[e["split"], i] = e
    tables, chosen = [], {}
    for t in sps:
        table = pd.DataFrame([
            {"split": t, **cand, "train_acc": accs[t, i]["train_acc"],
             "test_acc": accs[t, i]["test_acc"], "best_epoch": accs[t, i].get("best_epoch")}
            for i, cand in enumerate(candidates)
        ])  # fmt: skip
        base = bases[t]
        goal = {"train_acc": float(base["train_acc"]), "test_acc": float(base["test_acc"])}
        table["distance"] = accuracy_distance(
            table["train_acc"], table["test_acc"], goal["train_acc"], goal["test_acc"]
        )
        best = pick_closest(
            table["train_acc"], table["test_acc"], goal["train_acc"], goal["test_acc"]
        )
        table["chosen"] = np.arange(len(table)) == best
        log.info("split %d: shadow goal %s; chosen %s", t, goal, candidates[best])
        tables.append(table)
        chosen[str(t)] = {"chosen": candidates[best], "goal": goal}
    write_csv(pd.concat(tables, ignore_index=True), out_csv)
    write_json(out_json, chosen)


def run_train_forget(
    *,
    data: str,
    split: str,
    base: Mapping[str, str],
    out: Mapping[str, str],
    root_seed: int,
    dataset: str,
    recipe: Mapping[str, Any],
    n_models: int,
    size_fraction: float,
    tuning: str | None = None,
    early_stopping: bool = False,
    patience: int | None = None,
    threads: int = 1,
) -> None:
    """Calibration via forgetting: copy each split's target and shadow and train
    them further on public data, ``n_models`` times with different seeds and
    subsets, with the recipe :func:`run_tune_forget` chose for the split when
    ``tuning`` is given.

    ``base``: role (``target``, ``shadow``) -> model file; ``out``: role -> file of
    its forgetting references.
    """
    device = setup_torch(threads)
    d = load_prepared(data)
    sps = read_splits(split)
    spec = None
    for base_role, path in out.items():
        spec, base_entries = load_models(base[base_role], device=device)
        bases = _by_split(base_entries)
        by_recipe: dict[str, tuple[dict, list]] = {}  # models of one recipe train together
        for t, sp in sps.items():
            r = tuned_recipe(recipe, tuning, t)
            held_out = ids_with_role(sp, BASE_ROLES[base_role][1])
            for k in range(n_models):
                by_recipe.setdefault(repr(sorted(r.items())), (r, []))[1].append({
                    "model": copy.deepcopy(bases[t]["model"]),
                    "seed": derive_seed(root_seed, dataset, t, f"forget_{base_role}", k),
                    "name": f"split{t} forget_{base_role}{k}",
                    "train_ids": _forget_ids(sp, root_seed, dataset, t, size_fraction, k),
                    "test_ids": held_out,
                    "val_ids": _val_ids(sp, early_stopping, "shadow_out"),
                    "meta": {"split": t, "role": f"forget_{base_role}", "index": k},
                })  # fmt: skip
        entries = []
        for r, jobs in by_recipe.values():
            entries += _fit_all(d, jobs, recipe=r, device=device, patience=patience)
        entries.sort(key=lambda e: (e["split"], e["index"]))
        save_models(path, spec, entries)
