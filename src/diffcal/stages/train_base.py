"""Stage ``train_base``: the target and the shadow target of every split of a part
(see :mod:`diffcal.training.fit` for the roles and their data)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from diffcal.core.seeds import derive_seed
from diffcal.data.prepared import load_prepared
from diffcal.data.splits import ids_with_role, read_splits
from diffcal.training.checkpoint import load_checkpoint, load_into
from diffcal.training.fit import (
    BASE_ROLES,
    fit_all,
    private_refs,
)
from diffcal.training.model_files import copy_models, model_spec, new_model, save_models
from diffcal.training.train import accuracy, setup_torch

log = logging.getLogger("diffcal")


def run_train_base(
    *,
    data: str,
    split: str,
    out: Mapping[str, str],
    seeds: Mapping[str, Any],
    model_cfg: Mapping[str, Any],
    recipe: Mapping[str, Any],
    dp: Mapping[str, Any] | None = None,
    threads: int = 1,
    checkpoint: str | None = None,
    shared: Mapping[str, str] | None = None,
) -> None:
    """Train the ``target`` and the ``shadow`` model of every split of the part.
    With a ``checkpoint`` (a given target) the target is loaded from it, not
    trained (:mod:`diffcal.training.checkpoint`).

    ``out``: role (``target``, ``shadow``) -> model file. ``seeds``: the split
    key, ``root_seed`` and ``key`` (the dataset's seed key) every seed derives
    from. ``dp``: the variant's DP settings: the target trains with DP-SGD, the shadow too when
    ``dp["references"] == "private"``. ``shared``: role -> the file of another
    variant's identical model (:func:`diffcal.config.views.reference_variant`),
    copied after a check instead of trained. A given target was checked against
    its members by the ``check_target`` job (:mod:`diffcal.stages.check_target`).
    """
    device = setup_torch(threads)
    root_seed, dataset = seeds["root_seed"], seeds["key"]
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
            jobs.append(
                {
                    "model": new_model(spec, seed),
                    "seed": seed,
                    "name": f"split{t} {role}",
                    "train_ids": ids_with_role(sp, train_role),
                    "test_ids": ids_with_role(sp, test_role),
                    "meta": {"split": t, "role": role, "index": 0},
                }
            )
        if role in (shared or {}):
            log.info("%s: the same models as %s: copied, not trained", role, shared[role])
            ids = {(j["meta"]["split"], 0): j["train_ids"] for j in jobs}
            copy_models(shared[role], path, ids)
            continue
        if role == "target" and checkpoint:
            save_models(path, spec, given_target(d, jobs, checkpoint))
            continue
        private = dp if role == "target" or private_refs(dp) else None
        save_models(path, spec, fit_all(d, jobs, recipe=recipe, device=device, dp=private))


def given_target(d, jobs: list[dict], checkpoint: str) -> list[dict[str, Any]]:
    """File entries of a target loaded from ``checkpoint`` (the same model in every
    split), with the accuracies a trained target's entry records."""
    state = load_checkpoint(checkpoint)
    digest = hashlib.sha256(Path(checkpoint).read_bytes()).hexdigest()
    entries = []
    for j in jobs:
        model = load_into(j["model"], state, checkpoint)
        train_acc = accuracy(model, d.features(j["train_ids"]), d.y[j["train_ids"]])
        test_acc = accuracy(model, d.features(j["test_ids"]), d.y[j["test_ids"]])
        log.info(
            "%s: loaded from %s: train-acc %.4f test-acc %.4f (n_train=%d)",
            j["name"],
            checkpoint,
            train_acc,
            test_acc,
            len(j["train_ids"]),
        )
        entries.append(
            {
                **j["meta"],
                "model": model,
                "seed": j["seed"],
                "train_ids": np.asarray(j["train_ids"], dtype=np.int64),
                "train_acc": train_acc,
                "test_acc": test_acc,
                "recipe": {},
                "checkpoint_sha256": digest,
            }
        )
    return entries
