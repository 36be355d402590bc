"""Stage ``train_forget``: calibration via forgetting (warm start from target and shadow)."""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any

from diffcal.core.seeds import derive_seed
from diffcal.data.prepared import load_prepared
from diffcal.data.splits import ids_with_role, read_splits
from diffcal.training.fit import (
    BASE_ROLES,
    by_split,
    chunk_indices,
    fit_all,
    forget_ids,
    tuned_recipe,
    val_ids,
)
from diffcal.training.model_files import copy_models, load_models, save_models
from diffcal.training.train import setup_torch

log = logging.getLogger("diffcal")


def run_train_forget(
    *,
    data: str,
    split: str,
    base: Mapping[str, str],
    out: Mapping[str, str],
    seeds: Mapping[str, Any],
    recipe: Mapping[str, Any],
    refs: Mapping[str, Any],
    tuning: str | None = None,
    threads: int = 1,
    shared: Mapping[str, str] | None = None,
    chunk: str | None = None,
) -> None:
    """Calibration via forgetting: copy each split's target and shadow and train
    them further on public data, ``n_models`` times with different seeds and
    subsets, with the recipe :func:`run_tune_forget` chose for the split when
    ``tuning`` is given.

    ``base``: role (``target``, ``shadow``) -> model file; ``out``: role -> file of
    its forgetting references; ``shared``: role -> the file of another variant's
    identical forgetting references (:func:`diffcal.config.views.reference_variant`),
    copied after a check instead of trained; ``chunk``: the indices of this job's
    models (``"first-last"``, None = all, :func:`diffcal.training.fit.chunk_indices`).
    """
    device = setup_torch(threads)
    root_seed, dataset = seeds["root_seed"], seeds["key"]
    size_fraction = refs["size_fraction"]
    indices = chunk_indices(chunk, refs["forget"], "forgetting")
    patience = refs["patience"]
    d = load_prepared(data)
    sps = read_splits(split)
    spec = None
    for base_role, path in out.items():
        if base_role in (shared or {}):
            log.info(
                "forget_%s: the same models as %s: copied, not trained",
                base_role,
                shared[base_role],
            )
            ids = {
                (t, k): forget_ids(sp, root_seed, dataset, t, size_fraction, k)
                for t, sp in sps.items()
                for k in indices
            }
            copy_models(shared[base_role], path, ids)
            continue
        spec, base_entries = load_models(base[base_role], device=device)
        by_recipe = _jobs_by_recipe(
            by_split(base_entries), base_role, sps, indices, seeds, recipe, tuning, refs
        )
        entries = []
        for r, jobs in by_recipe.values():
            entries += fit_all(d, jobs, recipe=r, device=device, patience=patience)
        entries.sort(key=lambda e: (e["split"], e["index"]))
        save_models(path, spec, entries)


def _jobs_by_recipe(bases, base_role, sps, indices, seeds, recipe, tuning, refs) -> dict:
    """The forgetting jobs of ``base_role`` grouped by recipe (split tuning can give
    splits different ones; the models of one recipe train together)."""
    root_seed, dataset = seeds["root_seed"], seeds["key"]
    by_recipe: dict[str, tuple[dict, list]] = {}
    for t, sp in sps.items():
        r = tuned_recipe(recipe, tuning, t)
        held_out = ids_with_role(sp, BASE_ROLES[base_role][1])
        for k in indices:
            ids = forget_ids(sp, root_seed, dataset, t, refs["size_fraction"], k)
            by_recipe.setdefault(repr(sorted(r.items())), (r, []))[1].append(
                {
                    "model": copy.deepcopy(bases[t]["model"]),
                    "seed": derive_seed(root_seed, dataset, t, f"forget_{base_role}", k),
                    "name": f"split{t} forget_{base_role}{k}",
                    "train_ids": ids,
                    "test_ids": held_out,
                    "val_ids": val_ids(sp, refs, ids, "shadow_out"),
                    "meta": {"split": t, "role": f"forget_{base_role}", "index": k},
                }
            )
    return by_recipe
