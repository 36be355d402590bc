"""What the training stages share: fitting a list of models (stacked, or with DP-SGD),
their training, validation and test samples. One module per rule uses it
(:mod:`~diffcal.stages.train_base`, :mod:`~diffcal.stages.train_scratch`,
:mod:`~diffcal.stages.tune_forget`, :mod:`~diffcal.stages.train_forget`), so that
editing one rule's function reruns that rule only (:mod:`diffcal.config.codedeps`).

Every stage handles one *part*: the splits listed in its ``split.parquet`` (all T
splits of a small dataset, or one split of a large one; ``splits_per_job``). The
models of one kind for every split of the part train together where they can
(:mod:`diffcal.training.stacked`); each model keeps its own seed, derived from (root seed,
dataset, split, role, index) exactly as when every split had its own job, and its
file entry records its ``split``.

Roles and their training data (see :mod:`diffcal.data.splits`):

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
of the models involved trained on (:func:`val_ids`): ``shadow_in`` + ``shadow_out`` for scratch
references (symmetric in the shadow's members and non-members), ``shadow_out``
for both kinds of forgetting reference (the shadow trained on ``shadow_in``; the
target's and the shadow's forgetting references get the same set so that the
threshold-selection stand-in mirrors the target's procedure). The evaluation
split (``member`` / ``nonmember``) is never read for stopping or tuning. With
``references.stop_on: reference`` every reference stops on the reference-pool
samples it did not train on instead, so that stopping uses none of the samples
that choose tau (the fidelity hypothesis (a) of ``config/hypotheses.yaml``).

Forgetting-recipe tuning (``forget_tuning``): every candidate recipe of the grid
fine-tunes a copy of the *shadow* on the first forgetting subset; the candidate
whose train / ``shadow_out`` accuracy is closest to the shadow's own is used by
both forgetting rules of the split (:mod:`diffcal.training.tune`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from diffcal.core.io import read_json
from diffcal.core.seeds import derive_seed
from diffcal.data.prepared import Prepared
from diffcal.data.splits import ids_with_role, part_splits, subsample
from diffcal.training.stacked import FitTask, train_together
from diffcal.training.train import accuracy

log = logging.getLogger("diffcal")


#: role -> (training role, test role)
BASE_ROLES = {"target": ("member", "nonmember"), "shadow": ("shadow_in", "shadow_out")}


def chunk_indices(chunk: str | None, n_models: int, kind: str) -> list[int]:
    """The model indices of a job's ``chunk`` (``"first-last"`` or ``"k"``, as
    :func:`diffcal.config.views.model_chunks` labels them; None = all ``n_models``)."""
    indices = list(range(n_models)) if chunk is None else part_splits(chunk)
    if not indices or indices[-1] >= n_models:
        raise ValueError(f"{kind} chunk {chunk!r} is outside the {n_models} references")
    return indices


def fit_all(
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
    with DP-SGD (:func:`diffcal.training.dp.train_dp`; no early stopping) and its entry
    records the requested and spent epsilon.
    """
    if dp is not None:
        return fit_all_dp(d, jobs, recipe=recipe, device=device, dp=dp)
    tasks = [
        FitTask(
            j["model"],
            d.features(j["train_ids"]),
            d.y[j["train_ids"]],
            j["seed"],
            j["name"],
            None if j.get("val_ids") is None else (d.features(j["val_ids"]), d.y[j["val_ids"]]),
        )
        for j in jobs
    ]
    results = train_together(tasks, recipe=recipe, device=device, patience=patience)
    entries = []
    for j, task, result in zip(jobs, tasks, results, strict=True):
        train_acc = accuracy(task.model, task.x, task.y)
        test_acc = accuracy(task.model, d.features(j["test_ids"]), d.y[j["test_ids"]])
        log.info(
            "%s: train-acc %.4f test-acc %.4f (n_train=%d)",
            j["name"],
            train_acc,
            test_acc,
            len(task.y),
        )
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


def fit_all_dp(d: Prepared, jobs, *, recipe, device, dp) -> list[dict[str, Any]]:
    from diffcal.training.dp import train_dp

    entries = []
    for j in jobs:
        if j.get("val_ids") is not None:
            log.info("%s: DP-SGD trains every epoch (no early stopping)", j["name"])
        x, y = d.features(j["train_ids"]), d.y[j["train_ids"]]
        res = train_dp(
            j["model"], x, y, recipe=recipe, dp=dp, seed=j["seed"], device=device, name=j["name"]
        )
        train_acc = accuracy(j["model"], x, y)
        test_acc = accuracy(j["model"], d.features(j["test_ids"]), d.y[j["test_ids"]])
        log.info(
            "%s: train-acc %.4f test-acc %.4f (n_train=%d)", j["name"], train_acc, test_acc, len(y)
        )
        entries.append(
            {
                **j["meta"],
                "model": j["model"],
                "seed": j["seed"],
                "train_ids": np.asarray(j["train_ids"], dtype=np.int64),
                "train_acc": train_acc,
                "test_acc": test_acc,
                "recipe": dict(recipe),
                **res.as_dict(),
            }
        )
    return entries


def reference_ids(split: pd.DataFrame, size_fraction: float, seed: int) -> np.ndarray:
    pool = ids_with_role(split, "reference")
    size = max(1, int(round(size_fraction * len(pool))))
    return subsample(pool, size, seed=seed)


def val_ids(
    sp: pd.DataFrame, refs: Mapping[str, Any], train_ids: np.ndarray, *roles: str
) -> np.ndarray | None:
    """Validation samples for early stopping a reference trained on ``train_ids``,
    or None without ``refs["early_stopping"]``: the ``roles`` samples (the shadow's,
    module docstring), or with ``refs["stop_on"] == "reference"`` the reference-pool
    samples outside ``train_ids`` (sorted; disjoint from the threshold-selection
    samples, so that no sample that chooses tau also chooses the stopping epoch;
    needs ``size_fraction`` < 1)."""
    if not refs["early_stopping"]:
        return None
    if refs.get("stop_on", "shadow") == "reference":
        return np.setdiff1d(ids_with_role(sp, "reference"), train_ids)
    return ids_with_role(sp, *roles)


def private_refs(dp: Mapping[str, Any] | None) -> bool:
    """Whether the attacker's shadow and scratch references train with DP too."""
    return dp is not None and dp.get("references") == "private"


def forget_ids(sp, root_seed, dataset, split_index, size_fraction, k) -> np.ndarray:
    # Same subsets for forget_target, forget_shadow and the tuning candidates:
    # they only differ in their starting point (and recipe).
    return reference_ids(
        sp, size_fraction, derive_seed(root_seed, dataset, split_index, "forget_subset", k)
    )


def tuned_recipe(recipe: Mapping[str, Any], tuning: str | None, split: int) -> dict[str, Any]:
    """``recipe`` with the choice of a :func:`run_tune_forget` JSON file for split
    ``split`` applied."""
    if tuning is None:
        return dict(recipe)
    return {**recipe, **read_json(tuning)[str(split)]["chosen"]}


def by_split(entries: list[dict]) -> dict[int, dict]:
    """Entries of single-model files (target, shadow) keyed by split."""
    return {int(e["split"]): e for e in entries}
